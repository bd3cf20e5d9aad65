"""Inter-annotator agreement between two gold annotations of the same documents, and the disagreements to adjudicate.

Entities: exact span + label F1 between the two annotators (QUANTITY attributes compared too).
Stance: observed agreement and Cohen's kappa over sentences (both sides must use the same sentence
spans, which `split_sentences` guarantees), and document stances. Every disagreement is one line with
its context, ready to be decided and logged in annotations/adjudication.md (`arastance agreement`).
"""

from __future__ import annotations

from collections import Counter

from arastance.gold.model import Entity, GoldDocument


def cohen_kappa(a: list[str], b: list[str]) -> float:
    """Cohen's kappa of two label sequences of the same length (0.0 for none; 1.0 when chance agreement is total)."""
    n = len(a)
    if n == 0:
        return 0.0
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def entity_key(entity: Entity) -> tuple[int, int, str, float | None, str | None, bool | None]:
    """What two annotators must agree on for an entity: span, label and the QUANTITY attributes."""
    return (entity.start, entity.end, entity.label, entity.value, entity.unit, entity.approximate)


def compare(a_docs: dict[str, GoldDocument], b_docs: dict[str, GoldDocument]) -> tuple[dict[str, float], list[str]]:
    """Agreement figures over the documents both sides hold, and one tab-separated line per disagreement."""
    both = sorted(set(a_docs) & set(b_docs))
    lines: list[str] = []
    matched = n_a = n_b = 0
    stances_a: list[str] = []
    stances_b: list[str] = []
    doc_equal = 0
    for doc_id in both:
        a, b = a_docs[doc_id], b_docs[doc_id]
        ka = {entity_key(e): e for e in a.entities}
        kb = {entity_key(e): e for e in b.entities}
        matched += len(ka.keys() & kb.keys())
        n_a, n_b = n_a + len(ka), n_b + len(kb)
        for key in sorted(ka.keys() ^ kb.keys()):
            side = "A only" if key in ka else "B only"
            start, end = key[0], key[1]
            context = a.text[max(0, start - 30) : end + 30].replace("\n", " ")
            lines.append(f"{doc_id}\tentity\t{start}-{end}\t{key[2]}\t{side}\t{a.text[start:end]}\t…{context}…")
        if [(s.start, s.end) for s in a.sentences] != [(s.start, s.end) for s in b.sentences]:
            lines.append(f"{doc_id}\tsentences\tthe two sides split sentences differently: stance not compared")
            continue
        for i, (sa, sb) in enumerate(zip(a.sentences, b.sentences, strict=True)):
            stances_a.append(sa.stance)
            stances_b.append(sb.stance)
            ha = sa.holder.text if sa.holder else None
            hb = sb.holder.text if sb.holder else None
            if sa.stance != sb.stance or (sa.holder and sb.holder and sa.holder.start != sb.holder.start) or ha != hb:
                lines.append(
                    f"{doc_id}\tsentence {i}\t{sa.start}-{sa.end}\tA={sa.stance}/{ha}\tB={sb.stance}/{hb}\t"
                    f"{a.text[sa.start : sa.end]}"
                )
        doc_equal += a.doc_stance == b.doc_stance
        if a.doc_stance != b.doc_stance:
            lines.append(f"{doc_id}\tdocument\tA={a.doc_stance}\tB={b.doc_stance}")
    figures = {
        "documents": len(both),
        "entities_a": n_a,
        "entities_b": n_b,
        "entities_both": matched,
        "entity_f1": 2 * matched / (n_a + n_b) if n_a + n_b else 1.0,
        "sentences": len(stances_a),
        "stance_observed": sum(x == y for x, y in zip(stances_a, stances_b, strict=True)) / len(stances_a)
        if stances_a
        else 0.0,
        "stance_kappa": cohen_kappa(stances_a, stances_b),
        "doc_stance_equal": doc_equal,
    }
    return figures, lines


def summary_line(figures: dict[str, float]) -> str:
    """The figures in one line, as annotations/adjudication.md quotes them."""
    return (
        f"{figures['documents']} documents · entities A {figures['entities_a']}, B {figures['entities_b']}, both "
        f"{figures['entities_both']}: F1 {figures['entity_f1']:.3f} · stance over {figures['sentences']} sentences: "
        f"{figures['stance_observed']:.1%} observed, kappa {figures['stance_kappa']:.3f} · "
        f"document stance equal {figures['doc_stance_equal']}/{figures['documents']}"
    )
