"""`safealign eval --endpoint` found in review: the seed each sampled answer asks the server for."""

from __future__ import annotations

from dataclasses import replace

from test_eval_endpoint import FakeServer
from test_monitor import serve_in_thread

from safealign.evals import EndpointGenerator
from safealign.evals.endpoint import sample_seed
from safealign.generation import Completion, SamplingParams
from safealign.serve import create_app

SAMPLED = SamplingParams(max_new_tokens=8, temperature=1.0, num_samples=4)


def sent_seeds(seed: int) -> list[int]:
    with FakeServer() as server:
        EndpointGenerator(server.url, "m", concurrency=1).generate(["echo q"], replace(SAMPLED, seed=seed))
    return sorted(request["seed"] for request in server.requests)


def test_two_seeds_share_no_sample_seed():
    """Sample k was seeded seed + k: --seed 0's samples 1-3 were --seed 1's samples 0-2, so the two runs drew three of
    their four answers from the same server seeds."""
    zero, one = sent_seeds(0), sent_seeds(1)
    assert len(set(zero)) == 4 and not set(zero) & set(one), (zero, one)


def test_sample_zero_sends_the_seed_itself_and_the_others_fit_every_server():
    assert sample_seed(42, 0) == 42 and sample_seed(-5, 0) == -5  # a greedy eval's one answer: as before
    for seed in (0, 2**63 - 1, -(2**63), 2**64 - 1):
        later = [sample_seed(seed, k) for k in range(1, 6)]
        assert all(0 <= s < 2**63 for s in later) and len(set(later)) == 5, later
    assert sample_seed(7, 1) == sample_seed(7, 1)  # the same request keys an answers file the same way


class SeedEchoEngine:
    """Answers with the seed its batch was given."""

    batch_size = 4
    model = None
    precision = "fp32"

    def generate(self, prompts, params, cancelled=None):
        return [Completion(i, 0, str(params.seed), 1, 1, False) for i in range(len(prompts))]


def test_the_largest_seed_samples_from_safealign_serve():
    """Sample 1 of --seed 2**63 - 1 asked for seed 2**63, past the signed 64-bit seed vLLM and `safealign serve` take:
    the eval failed with HTTP 422."""
    with serve_in_thread(create_app(SeedEchoEngine(), "m", max_wait_ms=1)) as url:
        params = SamplingParams(max_new_tokens=4, temperature=1.0, num_samples=2, seed=2**63 - 1)
        answers = EndpointGenerator(url, "m", retries=0).generate(["q"], params)
    assert [a.text for a in answers] == [str(2**63 - 1), str(sample_seed(2**63 - 1, 1))]


def test_an_answer_with_a_lone_surrogate_is_kept_as_a_replacement_character(tmp_path):
    """A server that cut an emoji in half sent "\\ud83d" alone: writing the answer to the answers file (which `eval
    --endpoint` always keeps) failed the whole eval with a UnicodeEncodeError."""
    from fastapi import FastAPI
    from fastapi.responses import Response

    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def cut() -> Response:
        body = b'{"choices": [{"index": 0, "message": {"role": "assistant", "content": "half \\ud83d"}}]}'
        return Response(body, media_type="application/json")

    kept = tmp_path / "answers.jsonl"
    with serve_in_thread(app) as url:
        (answer,) = EndpointGenerator(url, "m", answers_file=kept).generate(["q"])
        assert answer.text == "half \ufffd"
        again = EndpointGenerator(url, "m", answers_file=kept)
        assert again.generate(["q"])[0].text == "half \ufffd" and again.reused == 1
