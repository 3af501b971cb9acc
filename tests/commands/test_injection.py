"""No byte from a file, a file name or an error reaches the terminal raw (terminal injection).

Every string-valued field of a checkpoint's document, every header field the
loader echoes (tensor names, dtypes), the file's own name, a `.pt` file's
vocabulary, metadata and keys, and the arguments the commands echo are filled
with a payload from each family below; `rnn-tui info`, `eval` and the viewer's
start-up checks then run, and nothing they write may hold a payload character.
"""

from __future__ import annotations

import io
import json
import re
import struct

import numpy as np
import pytest

from rnn_tui.__main__ import main
from rnn_tui.core.cells import Config
from rnn_tui.core.checkpoint import document, save
from rnn_tui.core.vocab import Vocab
from tests.factories import ASCII_VOCAB, random_tensors

PAYLOADS = {
    "C0": "\x00\x07\x08\x0b\x0c\x0e\x7f",
    "CSI": "\x1b[2J\x1b[31m",
    "OSC 52": "\x1b]52;c;SGVsbG8=\x07",
    "OSC 8": "\x1b]8;;http://x/\x1b\\link\x1b]8;;\x1b\\",
    "DCS": "\x1bP1$r\x1b\\",
    "C1": "\x9b2J\x9d0;t\x9c\x90q\x9c\x85",
    "bidi": "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
    "zero-width": "\u200b\u200c\u200d\u2060\ufeff\u180e",
    "markup": "[/][bold]x[/bold][link=http://x]",
}
# Every non-printable payload character; "[" and letters may appear (harmless as plain text).
FORBIDDEN = {ch for text in PAYLOADS.values() for ch in text if not (ch.isascii() and ch.isprintable())}
CONFIG = Config("gru", 1, 8, len(ASCII_VOCAB))


def assert_clean(out: str, err: str) -> None:
    for stream in (out, err):
        bad = sorted({ch for ch in stream if ch in FORBIDDEN or (ord(ch) < 0x20 and ch != "\n")})
        assert not bad, f"raw {[hex(ord(c)) for c in bad]} in {stream[:300]!r}"
        assert b"\x1b" not in stream.encode("utf-8", "surrogateescape")
    assert err.count("\n") <= 1 and len(err.rstrip("\n")) <= 300


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert_clean(out, err)
    return status, out, err


def write(path, doc: dict, tensors: dict | None = None, dtype: str = "F32") -> str:
    tensors = tensors if tensors is not None else random_tensors(CONFIG)
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        b = np.ascontiguousarray(t, "<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    header["__metadata__"] = {"rnn_tui": json.dumps(doc)}
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(chunks))
    return str(path)


FIELDS = ["format", "version", "cell", "layers", "hidden", "input", "embed_dim", "vocab", "provenance",
          "provenance.corpus", "provenance.key", "provenance.list", "provenance.val_loss"]


@pytest.mark.parametrize("family", PAYLOADS)
@pytest.mark.parametrize("field", FIELDS)
def test_no_payload_in_any_document_field_reaches_the_terminal(tmp_path, capsys, field, family):
    payload = PAYLOADS[family]
    doc = document(CONFIG, ASCII_VOCAB, {"corpus": "c"})
    if field == "provenance.key":
        doc["provenance"][payload] = payload
    elif field == "provenance.list":
        doc["provenance"]["notes"] = [payload, {payload: [payload]}]
    elif field.startswith("provenance."):
        doc["provenance"][field.split(".")[1]] = payload
    elif field == "vocab":
        doc["vocab"] = [payload] + list(ASCII_VOCAB.chars[1:])
    else:
        doc[field] = payload
    path = write(tmp_path / "m.safetensors", doc)
    status, _, _ = run(capsys, "info", path)
    assert status in (0, 2)
    text = tmp_path / "t.txt"
    text.write_text("hello " + payload + " world\n" * 20)
    run(capsys, "eval", path, str(text))


@pytest.mark.parametrize("family", PAYLOADS)
def test_no_payload_in_a_vocabulary_of_control_characters_reaches_the_terminal(tmp_path, capsys, family):
    chars = sorted(set(PAYLOADS[family]))  # each payload character as a vocabulary entry: a valid checkpoint
    vocab = Vocab(chars)
    config = Config("lstm", 1, 4, len(vocab))
    path = save(tmp_path / "v.safetensors", config, vocab, random_tensors(config), {"corpus": PAYLOADS[family]})
    assert run(capsys, "info", str(path))[0] == 0
    text = tmp_path / "t.txt"
    text.write_text("".join(chars) * 10 + "Z" + PAYLOADS["OSC 52"])  # characters the model does not know
    assert run(capsys, "eval", str(path), str(text), "--all")[0] == 2


@pytest.mark.parametrize("family", PAYLOADS)
def test_no_payload_in_tensor_names_or_dtypes_reaches_the_terminal(tmp_path, capsys, family):
    payload = PAYLOADS[family]
    doc = document(CONFIG, ASCII_VOCAB)
    tensors = random_tensors(CONFIG)
    renamed = {(payload if k == "head.bias" else k): v for k, v in tensors.items()}
    assert run(capsys, "info", write(tmp_path / "n.safetensors", doc, renamed))[0] == 2
    assert run(capsys, "info", write(tmp_path / "d.safetensors", doc, tensors, dtype=payload))[0] == 2
    named = {**tensors, payload * 3: np.zeros(1, np.float32)}  # an extra tensor, named with the payload
    assert run(capsys, "info", write(tmp_path / "e.safetensors", doc, named))[0] == 0


@pytest.mark.parametrize("family", PAYLOADS)
def test_no_payload_in_a_file_name_reaches_the_terminal(tmp_path, capsys, family):
    name = "name" + PAYLOADS[family].replace("\x00", "").replace("/", "") + "x.safetensors"
    path = save(tmp_path / name, CONFIG, ASCII_VOCAB, random_tensors(CONFIG))
    assert run(capsys, "info", str(path))[0] == 0
    bad = tmp_path / ("bad" + name)
    bad.write_bytes(b"\x00" * 16)
    assert run(capsys, "info", str(bad))[0] == 2
    assert run(capsys, "eval", str(path), str(bad))[0] == 2  # a text file that is not UTF-8... or is it
    assert run(capsys, "info", str(tmp_path / ("missing" + name)))[0] == 2
    assert run(capsys, str(bad))[0] == 2


@pytest.mark.parametrize("family", PAYLOADS)
def test_no_payload_in_command_line_values_reaches_the_terminal(tmp_path, capsys, family):
    payload = PAYLOADS[family].replace("\x00", "")
    path = save(tmp_path / "m.safetensors", CONFIG, ASCII_VOCAB, random_tensors(CONFIG))
    assert run(capsys, str(path), "--max-kbps", payload)[0] == 2
    assert run(capsys, str(path), "--prime", payload + "\\e[2J")[0] == 2
    assert run(capsys, "eval", str(path), str(path), "--val-frac", payload)[0] == 2
    assert run(capsys, "info", payload)[0] == 2
    assert run(capsys, "--" + payload)[0] == 2


@pytest.mark.parametrize("family", PAYLOADS)
def test_no_payload_in_a_pt_file_reaches_the_terminal(tmp_path, capsys, family):
    torch = pytest.importorskip("torch")
    payload = PAYLOADS[family]
    lstm, head = torch.nn.LSTM(5, 4), torch.nn.Linear(4, 5)
    sd = {**{f"lstm.{k}": v for k, v in lstm.state_dict().items()},
          **{f"fc.{k}": v for k, v in head.state_dict().items()}}
    chars = (sorted(set(payload)) + list("abcde"))[:5]
    cases = [
        {"state_dict": sd, "vocab": chars, "cell": "lstm", "provenance": {payload: payload, "corpus": [payload]}},
        {"state_dict": sd, "vocab": [payload, payload], "cell": "lstm"},
        {"state_dict": sd, "vocab": list("abcde"), "cell": payload},
        {"state_dict": {**sd, payload: torch.zeros(1)}, "vocab": list("abcde"), "cell": "lstm"},
        {"state_dict": sd, "vocab": list("abcde") + [payload], "cell": "lstm"},
    ]
    for k, obj in enumerate(cases):
        path = tmp_path / f"m{k}{payload.replace('/', '').replace(chr(0), '')}.pt"
        buffer = io.BytesIO()  # torch.save refuses some of these names itself
        torch.save(obj, buffer)
        path.write_bytes(buffer.getvalue())
        assert run(capsys, "info", str(path))[0] == (0 if k == 0 else 2)


@pytest.mark.parametrize("family", PAYLOADS)
def test_no_payload_in_a_file_name_reaches_the_terminal_from_any_command(tmp_path, capsys, monkeypatch, family):
    """The model's and the text's names, on every command's every line (analyze printed them raw on its header
    and its note line); and every command's own argument that names a thing (a lesson, a command, a shell)."""
    monkeypatch.chdir(tmp_path)
    payload = PAYLOADS[family].replace("\x00", "").replace("/", "")
    model = save(tmp_path / f"m{payload}x.safetensors", CONFIG, ASCII_VOCAB, random_tensors(CONFIG))
    text = tmp_path / f"t{payload}x.txt"
    text.write_text("The quick brown fox said \"hello\" é\n" * 20)  # é: outside the vocabulary, a note line
    assert run(capsys, "info", str(model))[0] == 0
    assert run(capsys, "eval", str(model), str(text))[0] in (0, 2)
    status, out, err = run(capsys, "analyze", str(text), str(model), "-e", re.escape(payload) + "o",
                           "--html", f"k{payload}.html", "--svg", f"k{payload}.svg")
    assert status == 0 and "note:" in err
    assert run(capsys, "sample", str(model), "-n", "20", "--seed", "1")[0] == 0
    assert run(capsys, "export", str(model), str(text), "--out", f"e{payload}.npz", "--skip-unknown")[0] == 0
    assert run(capsys, "export", str(model), str(text), "--format", "csv", "--skip-unknown")[0] == 0
    made = [p.name for p in tmp_path.glob("*.csv")]  # its default name comes from the text's and model's names
    assert len(made) == 1 and not FORBIDDEN & set(made[0]) and not any(ord(ch) < 0x20 for ch in made[0])
    assert run(capsys, "import", str(model), "--out", f"i{payload}.safetensors")[0] in (0, 2)
    assert run(capsys, "serve", str(tmp_path / f"missing{payload}.safetensors"))[0] == 2
    assert run(capsys, "train", str(tmp_path / f"missing{payload}.txt"), "--out", f"o{payload}.safetensors")[0] == 2
    status, out, _ = run(capsys, "score", str(model), "abc", "xyz", "--context", "hello ")
    assert status == 0 and "after 'hello '" in out  # its header names the model
    assert run(capsys, "score", str(model), "abc", "--context", "hello", "--json")[0] == 0
    for viewer in (["view", str(model)], [str(model)]):  # the viewer's checks name the model before it starts
        assert run(capsys, *viewer, "--prime", "é")[0] == 2
    lesson = tmp_path / f"l{payload}.toml"
    lesson.write_text(f'title = "{payload}"\n')
    for argv in (["lesson", str(lesson)], ["lesson", str(tmp_path / f"missing{payload}.toml")], ["lesson", payload],
                 ["help", payload], ["completion", payload]):
        assert run(capsys, *argv)[0] == 2, argv


def test_a_lone_surrogate_in_a_vocabulary_is_one_line_for_every_command(tmp_path, capsys):
    """`sample | cat` and `export --format csv` ended on a UnicodeEncodeError (an internal error)."""
    chars = list("abcdefghij") + ["\ud800"]
    config = Config("gru", 1, 8, len(chars))
    doc = json.loads(json.dumps(document(config, Vocab(list("abcdefghijk")), {})))
    doc["vocab"] = chars
    path = write(tmp_path / "s.safetensors", doc, random_tensors(config))
    text = tmp_path / "t.txt"
    text.write_text("abcdefghij")
    for argv in (["sample", path, "-n", "30"], ["export", path, str(text), "--format", "csv"], ["info", path],
                 ["eval", path, str(text)]):
        status, out, err = run(capsys, *argv)
        assert status == 2 and "lone surrogate" in err, argv


def test_no_payload_in_a_text_its_name_or_the_output_name_reaches_the_terminal_from_a_training_run(tmp_path, capsys):
    """The log a training run prints names its text and its output file and shows samples of what it learned."""
    pytest.importorskip("torch")
    payload = "".join(PAYLOADS.values()).replace("\x00", "").replace("/", "")
    text = tmp_path / f"t{payload}.txt"
    text.write_text(("abc def " + payload + "\n") * 100)
    out = tmp_path / f"o{payload}.safetensors"
    status, log, _ = run(capsys, "train", str(text), "--out", str(out), "--max-steps", "2", "--hidden", "8",
                         "--layers", "1", "--seq-len", "8", "--batch", "2", "--eval-every", "1", "--sample-every", "1")
    assert status == 0 and out.exists() and "sample: " in log and log.count("\n") >= 4
