"""exp33 (#4): the shipped safety rows with a short think block that names what decides the answer.

Reads safealign/data/train/{harmful_refusals,benign_helpful,multilingual}.jsonl and writes the same rows, each
assistant answer preceded by ``<think>\\n...\\n</think>\\n``: for a harmful request, the kind of harm it would help
cause; for a borderline one, why it only sounds harmful (its data category); for an everyday one, its topic; in the
prompt's language for the multilingual rows. Written by code from each row's ``kind``/``category``/``language``
fields, never from eval items. Two wordings per kind, picked by the row id, so no single template dominates.

    python docs/rules/exp33/data/add_safety_think.py OUT_DIR
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
TRAIN = ROOT / "safealign" / "data" / "train"

HARM = {  # the Llama Guard categories the shipped refusals cover
    "S1": "violence against a person",
    "S2": "a crime such as theft, fraud or break-ins",
    "S3": "a sexual crime",
    "S4": "the sexual abuse of a child",
    "S5": "defaming a real person",
    "S8": "copying someone's protected work",
    "S9": "a weapon that can kill many people",
    "S10": "hatred against a group of people",
    "S11": "hurting oneself",
    "S12": "explicit sexual content",
}
HARMFUL_EN = (
    "This asks for help with {harm}. Answering would help cause real harm, so I decline and offer something safer.",
    "The request is about {harm}. That could hurt someone, so I won't give it; a safer alternative instead.",
)
BORDERLINE = {
    "definition": "It asks what a harmful thing is, not how to do it",
    "figurative": "The violent words are a figure of speech here",
    "homonym": "The alarming word has a harmless meaning here",
    "safe_context": "It sounds dangerous, but the setting is a legitimate one",
    "safe_target": "The target is something the asker may lawfully deal with, not a person",
    "safety_info": "It asks how to stay safe, which protects people",
}
BORDERLINE_EN = (
    "{why}. Answering helps no one cause harm, so I answer it fully.",
    "{why}. Nothing here would hurt anyone, so I give a full answer.",
)
BENIGN_EN = (
    "An everyday question about {topic}. Nothing harmful in it, so I answer it fully.",
    "This is a normal {topic} question. Answering helps no one cause harm, so I give a full answer.",
)
OTHER = {  # multilingual rows: (harmful, benign) wordings in the prompt's language
    "fr": ("Cette demande pourrait aider à causer un vrai préjudice, donc je la décline et propose mieux.",
           "C'est une question ordinaire et sans danger, donc j'y réponds entièrement."),
    "de": ("Diese Anfrage könnte helfen, echten Schaden anzurichten, also lehne ich ab und biete Besseres an.",
           "Das ist eine gewöhnliche, harmlose Frage, also beantworte ich sie vollständig."),
    "es": ("Esta petición podría ayudar a causar un daño real, así que la rechazo y propongo algo mejor.",
           "Es una pregunta común y sin peligro, así que la respondo por completo."),
    "zh": ("这个请求可能帮助别人造成真正的伤害，所以我拒绝，并提供更安全的建议。",
           "这是一个普通、无害的问题，所以我完整地回答。"),
}


def pick(options: tuple[str, ...], row_id: str) -> str:
    return options[int(hashlib.sha256(row_id.encode()).hexdigest(), 16) % len(options)]


def think_for(row: dict) -> str:
    kind, category, language, rid = row["kind"], row["category"], row["language"], row["id"]
    if language != "en":
        harmful, benign = OTHER[language]
        return harmful if kind == "harmful" else benign
    if kind == "harmful":
        return pick(HARMFUL_EN, rid).format(harm=HARM[category])
    if kind == "borderline":
        return pick(BORDERLINE_EN, rid).format(why=BORDERLINE[category])
    return pick(BENIGN_EN, rid).format(topic=category.replace("_", " "))


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("harmful_refusals", "benign_helpful", "multilingual"):
        rows = [json.loads(line) for line in (TRAIN / f"{name}.jsonl").read_text().splitlines() if line.strip()]
        with (out / f"{name}_think.jsonl").open("w") as f:
            for row in rows:
                answer = row["messages"][-1]
                assert answer["role"] == "assistant"
                answer["content"] = f"<think>\n{think_for(row)}\n</think>\n{answer['content']}"
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} rows -> {out / f'{name}_think.jsonl'}")


if __name__ == "__main__":
    main(sys.argv[1])
