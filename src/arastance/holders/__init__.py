"""Stance holders: who voices the stance of a sentence (annotations/guidelines.md §6).

Sits low in the stack (corpus, gold, errors, paths only), so prediction, evaluation and the actor
summary all use the same choice. `base` holds the interface, `rules` the transparent rule method whose
cues live in configs/holders/rules.yaml.
"""
