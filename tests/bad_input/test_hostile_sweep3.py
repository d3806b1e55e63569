"""Third hostile sweep (issue 18): option values, special files, BOMs and line ends, full disks.

Each case runs the real command line in this process and checks the exit status, the one
line the user sees and that nothing was written or changed.  The cases that failed before
this sweep (a hang, a traceback, a silently accepted bad value) say so in their comment.
"""

from __future__ import annotations

import os
import resource
import signal

import pytest

from trainer.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A short session, its actions, a trainee store holding it, a FIFO and a symlink loop."""
    d = tmp_path_factory.mktemp("sweep3")
    acts = d / "a.jsonl"
    acts.write_text('{"type": "decide", "item": "candidacy", "answer": "proceed"}\n'
                    '{"type": "carm", "preset": "ap"}\n')
    assert main(["play", "--actions", str(acts), "--out", str(d / "s.jsonl"), "--pixels", "64"]) == 0
    assert main(["assess", str(d / "s.jsonl"), "--store", str(d / "st.sqlite3")]) == 3
    os.mkfifo(d / "fifo")
    os.symlink(d / "loop1", d / "loop2")
    os.symlink(d / "loop2", d / "loop1")
    return d


def _run(capsys, argv):
    capsys.readouterr()
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:            # argparse's own refusals (usage + one error line, status 2)
        rc = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    return rc, out, err


# (id, argv with {d} for the fixture folder, expected exit status, text in stderr)
CASES = [
    # options: NaN, inf, huge and zero values
    ("play-seed-nan", ["play", "--actions", "{d}/a.jsonl", "--out", "{d}/n1.jsonl", "--seed", "nan"], 2,
     "invalid int value"),
    ("play-seed-2^80", ["play", "--actions", "{d}/a.jsonl", "--out", "{d}/n2.jsonl", "--seed", str(2 ** 80)], 2,
     "expected an integer from 0 to 4294967295"),
    ("play-pixels-negative", ["play", "--actions", "{d}/a.jsonl", "--out", "{d}/n3.jsonl", "--pixels", "-64"], 2,
     "expected an integer from 64 to 1024"),
    ("render-orbital-nan", ["render", "--orbital", "nan", "--out", "{d}/r1.png"], 2, "orbital_deg = nan"),
    ("render-orbital-inf", ["render", "--orbital", "inf", "--out", "{d}/r2.png"], 2, "orbital_deg = inf"),
    ("render-tilt-1e400", ["render", "--tilt", "1e400", "--out", "{d}/r3.png"], 2, "tilt_deg = inf"),
    ("render-kvp-nan", ["render", "--kvp", "nan", "--out", "{d}/r4.png"], 2, "kvp = nan"),
    ("render-pulses-1e9", ["render", "--pulses", "1e9", "--out", "{d}/r5.png"], 2, "invalid int value"),
    ("phantom-voxel-nan", ["phantom", "--out", "{d}/ph1", "--voxel-mm", "nan"], 2, "voxel_mm = nan"),
    ("phantom-size-inf", ["phantom", "--out", "{d}/ph2", "--size", "inf"], 2, "size_scale = inf"),
    ("phantom-height-loss-nan", ["phantom", "--out", "{d}/ph3", "--height-loss", "nan"], 2,
     "height_loss_fraction = nan"),
    ("phantom-seed-10^24", ["phantom", "--out", "{d}/ph4", "--seed", str(10 ** 24)], 2, "seed = 1000000"),
    # before: --jobs 0 was taken as "not given" and scored the session alone
    ("assess-jobs-0", ["assess", "{d}/s.jsonl", "--jobs", "0"], 2, "--jobs = 0 is not allowed"),
    ("progress-p0-nan", ["progress", "--store", "{d}/st.sqlite3", "--p0", "nan"], 2, "p0 = nan"),
    ("progress-lc-h-nan", ["progress", "--store", "{d}/st.sqlite3", "--lc-h", "nan"], 2, "h = nan"),
    # before: an impossible date or since > until listed nothing and exited 0
    ("progress-since-2026-13-45", ["progress", "--store", "{d}/st.sqlite3", "--since", "2026-13-45"], 2,
     "expected a date written YYYY-MM-DD"),
    ("progress-since-after-until", ["progress", "--store", "{d}/st.sqlite3", "--since", "2027-01-01", "--until",
                                    "2026-01-01"], 2, "on or before --until"),
    # before: --ct-root naming a file or nothing was ignored
    ("assess-ct-root-a-file", ["assess", "{d}/s.jsonl", "--ct-root", "{d}/a.jsonl"], 2, "expected an existing folder"),
    ("assess-ct-root-missing", ["assess", "{d}/s.jsonl", "--ct-root", "{d}/nope"], 2, "it does not exist"),
    ("export-dicom-ct-root-a-file", ["export-dicom", "{d}/s.jsonl", "--out", "{d}/dcm", "--ct-root", "{d}/a.jsonl"],
     2, "expected an existing folder"),
    # special files where a file is expected (before: a FIFO or /dev/zero hung the command)
    ("actions-fifo", ["play", "--actions", "{d}/fifo", "--out", "{d}/n4.jsonl"], 2, "is a FIFO (named pipe)"),
    ("session-fifo", ["assess", "{d}/fifo"], 2, "is a FIFO (named pipe)"),
    ("seal-key-dev-zero", ["assess", "{d}/s.jsonl", "--seal-key", "/dev/zero"], 2, "is a device"),
    ("session-dev-zero", ["assess", "/dev/zero"], 2, "is a device"),
    ("actions-dev-urandom", ["play", "--actions", "/dev/urandom", "--out", "{d}/n5.jsonl"], 2, "is a device"),
    ("seal-key-a-folder", ["assess", "{d}/s.jsonl", "--seal-key", "{d}"], 2, "is a folder"),
    ("seal-key-empty", ["assess", "{d}/s.jsonl", "--seal-key", "/dev/null"], 2, "is a device"),
    # symbolic link loops (before: the scenario was "no such scenario file")
    ("scenario-symlink-loop", ["scenarios", "validate", "{d}/loop1"], 2, "looping symbolic link"),
    ("scenario-fifo", ["scenarios", "validate", "{d}/fifo"], 2, "is a FIFO"),
    ("session-symlink-loop", ["assess", "{d}/loop1"], 2, "Too many levels of symbolic links"),
    ("actions-symlink-loop", ["play", "--actions", "{d}/loop1", "--out", "{d}/n6.jsonl"], 2,
     "Too many levels of symbolic links"),
    ("out-symlink-loop", ["play", "--actions", "{d}/a.jsonl", "--out", "{d}/loop1"], 2, "symbolic link"),
    ("store-is-the-session", ["progress", "--store", "{d}/s.jsonl"], 2, "not a vptrainer trainee store"),
    ("csv-a-folder", ["assess", "{d}/s.jsonl", "--csv", "{d}"], 2, "ending in .csv"),
]


@pytest.mark.parametrize("argv,rc,text", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_option_or_file(files, capsys, argv, rc, text):
    before = sorted(p.name for p in files.iterdir())
    got, _out, err = _run(capsys, [a.replace("{d}", str(files)) for a in argv])
    assert got == rc and text in err, err
    said = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith(("usage:", " "))]
    assert len(said) <= 2, err                                        # one line (and a note at most)
    assert sorted(p.name for p in files.iterdir()) == before          # nothing written


def test_bom_and_crlf_in_files(files, tmp_path, capsys):
    """A BOM is refused with its own words (actions and sessions); CRLF actions play (a CRLF session is
    assessed as its LF file: tests/cli/test_assess_crlf.py)."""
    raw = (files / "a.jsonl").read_bytes()
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + raw)
    rc, _, err = _run(capsys, ["play", "--actions", tmp_path / "bom.jsonl", "--out", tmp_path / "o.jsonl"])
    assert rc == 2 and "BOM" in err and not (tmp_path / "o.jsonl").exists()
    (tmp_path / "crlf.jsonl").write_bytes(raw.replace(b"\n", b"\r\n"))
    rc, _, err = _run(capsys, ["play", "--actions", tmp_path / "crlf.jsonl", "--out", tmp_path / "o2.jsonl",
                               "--pixels", "64"])
    assert rc == 0, err
    sess = (files / "s.jsonl").read_bytes()
    (tmp_path / "sbom.jsonl").write_bytes(b"\xef\xbb\xbf" + sess)
    rc, _, err = _run(capsys, ["assess", tmp_path / "sbom.jsonl"])
    assert rc == 2 and "BOM" in err and ":1:" in err


def _limited(size_bytes):
    """Context: writes beyond ``size_bytes`` fail with EFBIG, as on a full disk."""
    class _Limit:
        def __enter__(self):
            self.old = resource.getrlimit(resource.RLIMIT_FSIZE)
            self.sig = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (size_bytes, self.old[1]))

        def __exit__(self, *exc):
            resource.setrlimit(resource.RLIMIT_FSIZE, self.old)
            signal.signal(signal.SIGXFSZ, self.sig)

    return _Limit()


def test_play_on_a_full_disk_says_so_and_keeps_a_scorable_session(files, tmp_path, capsys):
    """Before: an OSError traceback (ENOSPC on a 12 kB tmpfs; EFBIG here)."""
    out = tmp_path / "full.jsonl"
    header_bytes = len((files / "s.jsonl").read_bytes().split(b"\n")[0]) + 1
    with _limited(header_bytes + 100):  # the header (the scenario text) fits, the first action line does not
        rc, _, err = _run(capsys, ["play", "--actions", files / "a.jsonl", "--out", out, "--pixels", "64"])
    assert rc == 2 and "cannot write the session file" in err and "File too large" in err
    rc, _, err = _run(capsys, ["assess", out])
    assert rc == 3, err                 # every whole line kept is a valid (unfinished) session


def test_a_new_store_on_a_full_disk_leaves_no_empty_file(files, tmp_path, capsys):
    """Before: 'not a vptrainer trainee store (database or disk is full)' and an empty file left behind."""
    store = tmp_path / "new.sqlite3"
    with _limited(0):
        rc, _, err = _run(capsys, ["assess", files / "s.jsonl", "--store", store])
    assert rc == 2 and "cannot create the trainee store" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_two_plays_racing_for_one_session_file(files, tmp_path):
    """Concurrent writers: exactly one wins, the other is refused; the file is one valid session."""
    import subprocess
    import sys

    out = tmp_path / "c.jsonl"
    cmd = [sys.executable, "-m", "trainer.cli", "play", "--actions", str(files / "a.jsonl"), "--out", str(out),
           "--pixels", "64"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    res = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert sorted(r for r, _ in res) == [0, 2], res
    assert any("already exists" in e for _, e in res)
    assert "Traceback" not in "".join(e for _, e in res)
    assert main(["assess", str(out)]) == 3
