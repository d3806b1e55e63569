"""Outputs: nothing is overwritten without --force, never the command's own input, and an
unwritable or missing destination is a one-line error with exit status 2 (issue 18).

The oracle of every case is the bytes on disk before and after: an existing file must
hold exactly what it held, and no half-written or temporary file may be left behind.
"""

import errno
import os
import stat

import pytest

from trainer.cli import main
from trainer.core.errors import ParameterError
from trainer.core.safe_write import (
    atomic_file,
    atomic_folder,
    atomic_write_text,
    check_output,
    same_path,
)

SESSION = os.path.join(os.path.dirname(__file__), "..", "data", "expert_l1_left.jsonl")


def _listing(folder):
    return sorted((p.name, p.read_bytes() if p.is_file() else None) for p in folder.iterdir())


def _cli(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, out, err


# ------------------------------------------------------------------ check_output, unit level
@pytest.mark.parametrize("case", ["exists", "is_dir", "missing_parent", "own_input", "own_input_dotted",
                                  "own_input_symlink", "own_input_hardlink", "bad_suffix", "empty_name",
                                  "nul_in_name", "unwritable_parent", "symlink_dest"])
def test_check_output_refuses(tmp_path, case):
    src = tmp_path / "in.jsonl"
    src.write_text("input\n")
    (tmp_path / "old.png").write_text("old")
    (tmp_path / "adir").mkdir()
    kw = {"inputs": [src]}
    dest = {"exists": tmp_path / "old.png", "is_dir": tmp_path / "adir", "missing_parent": tmp_path / "no" / "x.png",
            "own_input": src, "own_input_dotted": tmp_path / "adir" / ".." / "in.jsonl",
            "bad_suffix": tmp_path / "x.jpg", "empty_name": "", "nul_in_name": str(tmp_path / "a\0b.png"),
            "unwritable_parent": tmp_path / "ro" / "x.png", "symlink_dest": tmp_path / "link.png"}.get(case)
    if case == "own_input_symlink":
        dest = tmp_path / "l.jsonl"
        dest.symlink_to(src)
        kw["force"] = True
    if case == "own_input_hardlink":
        dest = tmp_path / "h.jsonl"
        os.link(src, dest)
        kw["force"] = True
    if case == "bad_suffix":
        kw["suffixes"] = (".png",)
    if case == "unwritable_parent":
        (tmp_path / "ro").mkdir()
        os.chmod(tmp_path / "ro", 0o500)
        if os.access(tmp_path / "ro", os.W_OK):      # root ignores permissions: use a read-only place
            dest = "/proc/vptrainer-test.png"
    if case == "symlink_dest":
        (tmp_path / "link.png").symlink_to(tmp_path / "nowhere.png")
    if case in ("own_input", "own_input_dotted"):
        kw["force"] = True
    before = src.read_bytes()
    with pytest.raises(ParameterError) as err:
        atomic_write_text(check_output(dest, **kw), "new", force=kw.get("force", False))
    assert "\n" not in str(err.value) and "--out" in str(err.value)
    assert src.read_bytes() == before and (tmp_path / "old.png").read_text() == "old"


def test_same_path_sees_links_and_dots(tmp_path):
    a = tmp_path / "a"
    a.write_text("x")
    (tmp_path / "s").symlink_to(a)
    os.link(a, tmp_path / "h")
    assert same_path(a, tmp_path / "s") and same_path(a, tmp_path / "h") and same_path(a, tmp_path / "." / "a")
    assert not same_path(a, tmp_path / "b")


def test_a_full_disk_leaves_the_old_file_and_no_temporary(tmp_path):
    dest = tmp_path / "r.html"
    dest.write_text("old report")
    with pytest.raises(ParameterError) as err, atomic_file(dest, force=True) as tmp:
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert "No space left" in str(err.value)
    assert _listing(tmp_path) == [("r.html", b"old report")]


def test_a_file_that_fails_validation_replaces_nothing(tmp_path):
    dest = tmp_path / "r.pdf"
    dest.write_bytes(b"%PDF-old")

    def is_pdf(p):
        if p.read_bytes()[:5] != b"%PDF-":
            raise ParameterError("--pdf", str(dest), "a PDF file")

    with pytest.raises(ParameterError), atomic_file(dest, force=True, validate=is_pdf) as tmp:
        tmp.write_bytes(b"not a pdf")
    with pytest.raises(ParameterError, match="no data"), atomic_file(dest, force=True):
        pass                                          # the writer wrote nothing (e.g. QPdfWriter failed)
    assert _listing(tmp_path) == [("r.pdf", b"%PDF-old")]


def test_without_force_a_file_that_appears_meanwhile_is_not_clobbered(tmp_path):
    dest = tmp_path / "x.txt"
    with pytest.raises(ParameterError, match="does not exist yet"), atomic_file(dest) as tmp:
        tmp.write_text("new")
        dest.write_text("someone else's")             # created between the check and the rename
    assert _listing(tmp_path) == [("x.txt", b"someone else's")]


def test_new_files_get_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


def test_a_folder_is_replaced_whole_or_not_at_all(tmp_path):
    dest = tmp_path / "ct"
    dest.mkdir()
    (dest / "old.dcm").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(dest, force=True) as tmp:
        (tmp / "new1.dcm").write_text("n")
        raise RuntimeError("writer crashed half way")
    assert _listing(dest) == [("old.dcm", b"old")] and _listing(tmp_path) == [("ct", None)]
    with atomic_folder(dest, force=True) as tmp:
        (tmp / "new1.dcm").write_text("n")
    assert _listing(dest) == [("new1.dcm", b"n")] and _listing(tmp_path) == [("ct", None)]


# ------------------------------------------------------------------ the commands, end to end
@pytest.fixture(scope="module")
def session_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("sess")
    p = d / "s.jsonl"
    assert main(["play", "l1-wedge-default", "--actions", SESSION, "--out", str(p)]) == 0
    return p


@pytest.mark.parametrize("argv", [
    ["assess", "{s}", "--html", "{s}"],                       # the session itself
    ["assess", "{s}", "--html", "{s}", "--force"],
    ["assess", "{s}", "--pdf", "{d}/link.pdf", "--force"],    # a link to the session
    ["assess", "{s}", "--html", "{d}/old.html"],               # existing file, no --force
    ["assess", "{s}", "--html", "{d}"],                        # a folder
    ["assess", "{s}", "--html", "{d}/missing/r.html"],         # missing folder
    ["assess", "{s}", "--pdf", "/proc/r.pdf"],                 # unwritable place
    ["assess", "{s}", "--html", "{d}/r.html", "--pdf", "{d}/r.html"],
    ["render", "--out", "{d}/old.png", "--size", "64"],
    ["render", "--out", "{d}", "--size", "64"],
    ["render", "--out", "{d}/missing/x.png", "--size", "64"],
    ["render", "--out", "{d}/x.jpg", "--size", "64"],
    ["render", "--out", "/proc/x.png", "--size", "64"],
    ["phantom", "--out", "{d}/ct", "--voxel-mm", "2"],         # a folder of slices, no --force
    ["phantom", "--out", "{d}/old.png", "--voxel-mm", "2"],    # a file
    ["play", "--actions", "{s}", "--out", "{s}"],
    ["play", "--actions", "{a}", "--out", "{d}/n.jsonl", "--shots", "{a}"],
    ["play", "--actions", "{a}", "--out", "{d}/n.jsonl", "--shots", "{d}/ct"],
    ["scenarios", "import-ct", "{d}/ct", "--level", "L1", "--out", "{d}/ct/case.toml"],   # into the CT folder
    # a folder that does not exist cannot contain the series: refused without creating it (it left new/sub behind)
    ["scenarios", "import-ct", "{d}/ct", "--level", "L1", "--out", "{d}/new/sub/case.toml"],
    ["scenarios", "import-ct", "{d}/ct", "--level", "L1", "--out", "{d}/old.png/case.toml"],  # parent is a file
])
def test_commands_refuse_to_overwrite(capsys, tmp_path, session_file, argv):
    d = tmp_path
    (d / "old.png").write_bytes(b"old png")
    (d / "old.html").write_text("old html")
    (d / "link.pdf").symlink_to(session_file)
    (d / "ct").mkdir()
    (d / "ct" / "CT0001.dcm").write_bytes(b"slice")
    acts = d / "a.jsonl"
    acts.write_text('{"type": "shot"}\n')
    before_session = session_file.read_bytes()
    before = _listing(d)
    args = [a.format(s=session_file, d=d, a=acts) for a in argv]
    rc, _, err = _cli(capsys, *args)
    assert rc == 2 and err.startswith("vptrainer: error:") and err.count("\n") == 1
    assert session_file.read_bytes() == before_session
    assert _listing(d) == before and _listing(d / "ct") == [("CT0001.dcm", b"slice")]


def test_force_replaces_a_file_and_a_folder(capsys, tmp_path):
    (tmp_path / "r.png").write_bytes(b"old")
    rc, _, _ = _cli(capsys, "render", "--out", str(tmp_path / "r.png"), "--size", "64", "--force")
    assert rc == 0 and (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ct = tmp_path / "ct"
    ct.mkdir()
    (ct / "stale.dcm").write_bytes(b"old")
    rc, _, _ = _cli(capsys, "phantom", "--out", str(ct), "--voxel-mm", "2", "--force")
    names = sorted(p.name for p in ct.iterdir())
    assert rc == 0 and "stale.dcm" not in names and names[0] == "CT0001.dcm"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ct", "r.png"]       # no temporaries left


def test_import_ct_validates_before_replacing(capsys, tmp_path):
    ct = tmp_path / "ct"
    assert _cli(capsys, "phantom", "--out", str(ct), "--voxel-mm", "1")[0] == 0
    out = tmp_path / "case.toml"
    assert _cli(capsys, "scenarios", "import-ct", str(ct), "--level", "L1", "--out", str(out))[0] == 0
    good = out.read_bytes()
    rc, _, err = _cli(capsys, "scenarios", "import-ct", str(ct), "--level", "L1", "--out", str(out),
                      "--force", "--title", 'bad"title')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.toml", "ct"]
    if rc == 0:                                       # the quote escaped: the new file must be valid
        from trainer.core.scenario.loader import load_scenario

        assert load_scenario(out).title == 'bad"title'
    else:                                             # refused: the good file is untouched
        assert rc == 2 and err.splitlines()[-1].startswith("vptrainer: error:")
        assert out.read_bytes() == good
