"""Holder choice (holders/rules.py) on small synthetic Arabic documents, and the cues' home in the config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from arastance.errors import UserError
from arastance.gold.model import Entity
from arastance.holders.base import sentence_holders
from arastance.holders.rules import HolderRules, RuleHolders, load_rules
from arastance.predict.documents import add_holders

RULES_FILE = Path(__file__).resolve().parents[1] / "configs" / "holders" / "rules.yaml"


@pytest.fixture(scope="module")
def method() -> RuleHolders:
    return RuleHolders(load_rules(RULES_FILE))


def entities(text: str, *mentions: tuple[str, str]) -> list[Entity]:
    """Entities at the first occurrence of each surface form."""
    out = []
    for surface, label in mentions:
        start = text.index(surface)
        out.append(Entity(start, start + len(surface), label, surface))
    return out


def holder_text(method: RuleHolders, text: str, ents: list[Entity], stance: str = "PRO_STAY") -> str | None:
    [holder] = sentence_holders(text, [(0, len(text), stance)], ents, method, "NONE")
    if holder is not None:
        assert text[holder.start : holder.end] == holder.text  # offsets into the raw text
    return holder.text if holder else None


def test_authorial_sentence_has_no_holder(method: RuleHolders) -> None:
    text = "القوات الأميركية باقية في سوريا ولن تنسحب منها قريباً."
    ents = entities(text, ("القوات الأميركية", "ORG"), ("سوريا", "GPE"))
    assert holder_text(method, text, ents) is None


def test_a_none_sentence_never_gets_a_holder(method: RuleHolders) -> None:
    text = "وقال الوزير لويد أوستن إن الطقس كان حاراً."
    ents = entities(text, ("لويد أوستن", "PER"))
    assert holder_text(method, text, ents, stance="PRO_STAY") == "لويد أوستن"
    assert holder_text(method, text, ents, stance="NONE") is None


def test_quoted_speech_is_held_by_its_speaker_not_by_a_verb_inside_the_quote(method: RuleHolders) -> None:
    text = "قال وزير الدفاع لويد أوستن: “لن نسحب قواتنا من سوريا، كما أكدت وزارة الخارجية التركية مراراً”."
    ents = entities(text, ("لويد أوستن", "PER"), ("سوريا", "GPE"), ("وزارة الخارجية التركية", "ORG"))
    assert holder_text(method, text, ents) == "لويد أوستن"


def test_speaker_named_after_the_quote(method: RuleHolders) -> None:
    text = "“القوات الأمريكية باقية في سوريا حتى هزيمة داعش نهائياً”، قال الجنرال مايكل كوريلا."
    ents = entities(text, ("القوات الأمريكية", "ORG"), ("سوريا", "GPE"), ("داعش", "ORG"), ("مايكل كوريلا", "PER"))
    assert holder_text(method, text, ents) == "مايكل كوريلا"


def test_holder_outside_the_first_clause(method: RuleHolders) -> None:
    text = "وفي ظل تصاعد التوترات مع إيران في المنطقة، طالبت أنقرة مجدداً بانسحاب القوات الأميركية من سوريا."
    ents = entities(text, ("إيران", "GPE"), ("أنقرة", "GPE"), ("القوات الأميركية", "ORG"), ("سوريا", "GPE"))
    assert holder_text(method, text, ents, "PRO_WITHDRAWAL") == "أنقرة"


def test_a_noun_before_a_conjoined_verb_is_not_its_subject(method: RuleHolders) -> None:
    text = "عززت القوات قواعدها في سوريا وأكد المسؤول أن البقاء مستمر."
    ents = entities(text, ("سوريا", "GPE"))
    assert holder_text(method, text, ents) == "المسؤول"


def test_entity_before_a_bare_verb_is_its_subject(method: RuleHolders) -> None:
    text = "الخارجية الأمريكية تؤكد عدم وجود خطط للانسحاب."
    ents = entities(text, ("الخارجية الأمريكية", "ORG"))
    assert holder_text(method, text, ents) == "الخارجية الأمريكية"


def test_implicit_subject_is_the_verb(method: RuleHolders) -> None:
    text = "وأضاف أن “الانسحاب من سوريا ليس مطروحاً في الوقت الحالي”."
    ents = entities(text, ("سوريا", "GPE"))
    assert holder_text(method, text, ents) == "وأضاف"


def test_speaker_noun_extends_over_its_genitive_entity_only(method: RuleHolders) -> None:
    text = "وشددت قيادة التحالف الدولي على مواصلة دعم الشركاء."
    assert holder_text(method, text, entities(text, ("التحالف الدولي", "ORG"))) == "قيادة التحالف الدولي"
    text = "وأكد مستشار في التحالف الدولي استمرار الدعم."
    assert holder_text(method, text, entities(text, ("التحالف الدولي", "ORG"))) == "مستشار"


def test_a_verb_whose_subject_names_no_actor_is_no_speech(method: RuleHolders) -> None:
    text = "تشير المؤشرات المتزايدة إلى احتمال انسحاب القوات الأميركية من سوريا."
    ents = entities(text, ("القوات الأميركية", "ORG"), ("سوريا", "GPE"))
    assert holder_text(method, text, ents, "PRO_WITHDRAWAL") is None


def test_headline_source_before_a_colon(method: RuleHolders) -> None:
    text = "مصادر دبلوماسية: واشنطن باقية في سوريا"
    ents = entities(text, ("واشنطن", "GPE"), ("سوريا", "GPE"))
    assert holder_text(method, text, ents) == "مصادر دبلوماسية"


def test_demand_noun_names_its_holder(method: RuleHolders) -> None:
    text = "وتتزايد مطالب عراقية بخروج القوات الأجنبية من سوريا."
    ents = entities(text, ("عراقية", "NORP"), ("سوريا", "GPE"))
    assert holder_text(method, text, ents, "PRO_WITHDRAWAL") == "عراقية"


def test_short_quoted_names_are_read_as_text(method: RuleHolders) -> None:
    text = "وأفاد “مجلس دير الزور العسكري” بأن الدوريات المشتركة مستمرة."
    ents = entities(text, ("مجلس دير الزور العسكري", "ORG"))
    assert holder_text(method, text, ents) == "مجلس دير الزور العسكري"


def test_ineligible_labels_are_not_holders(method: RuleHolders) -> None:
    text = "وقال البيت الأبيض للصحفيين إن القوات باقية."
    assert holder_text(method, text, entities(text, ("البيت الأبيض", "FAC"))) is None
    assert holder_text(method, text, entities(text, ("البيت الأبيض", "ORG"))) == "البيت الأبيض"


def test_cues_come_from_the_config() -> None:
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    text = "وصرّح المصدر بأن القوات باقية."
    assert holder_text(RuleHolders(HolderRules.from_mapping(raw)), text, []) == "المصدر"
    raw["reporting_verbs"] = [group for group in raw["reporting_verbs"] if "صرح" not in group]
    assert holder_text(RuleHolders(HolderRules.from_mapping(raw)), text, []) is None


def test_a_broken_rules_file_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("reporting_verbs: []\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"rules\.yaml: `windows` needs integer"):
        load_rules(path)
    path.write_text(
        "windows: {subject: 3, demand: 1, headline_colon: 2}\neligible_labels: [PER]\nreporting_verbs: []\n",
        encoding="utf-8",
    )
    with pytest.raises(UserError, match=r"rules\.yaml: `conjunctions` must be a non-empty list"):
        load_rules(path)
    with pytest.raises(UserError, match="no such file"):
        load_rules(tmp_path / "missing.yaml")


def test_predict_results_get_a_holder_on_every_sentence() -> None:
    text = "وقال الوزير لويد أوستن إن القوات باقية. الطقس حار اليوم."
    results = [
        {
            "entities": [
                {
                    "start": text.index("لويد"),
                    "end": text.index("لويد") + len("لويد أوستن"),
                    "label": "PER",
                    "text": "لويد أوستن",
                    "score": 0.9,
                }
            ],
            "sentences": [
                {"start": 0, "end": text.index(".") + 1, "stance": "PRO_STAY", "scores": {}},
                {"start": text.index("الطقس"), "end": len(text), "stance": "NONE", "scores": {}},
            ],
            "doc_stance": "PRO_STAY",
        }
    ]
    add_holders([text], results)
    first, second = results[0]["sentences"]
    assert first["holder"] == {
        "start": text.index("لويد"),
        "end": text.index("لويد") + len("لويد أوستن"),
        "text": "لويد أوستن",
    }
    assert second["holder"] is None
