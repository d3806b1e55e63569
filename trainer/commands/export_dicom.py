"""``vptrainer export-dicom SESSION.jsonl --out DIR``: every shot as DICOM XA plus a dose SR."""

from __future__ import annotations

NAME = "export-dicom"
HELP = "write every shot of a session as DICOM XA images and an X-Ray Radiation Dose SR"
DESCRIPTION = ("Replay SESSION.jsonl (verifying its hash chain) and write into DIR one XA image per shot (one series, "
               "one study per attempt: positioner angles, SID/SOD, kVp, exposure time, entrance dose, DAP, acquisition "
               "time) and RDSR.dcm, the X-Ray Radiation Dose SR (TID 10001) with one irradiation event per shot. "
               "DIR must be new or empty unless --force (then it is replaced only once the export is complete).")


def add_arguments(parser):
    parser.add_argument("session", help="session file (JSON lines)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write (new or empty)")
    parser.add_argument("--force", action="store_true", help="replace a folder that holds files")
    parser.add_argument("--ct-root", metavar="DIR", default=None,
                        help="folder holding a patient-CT scenario's series (default: the session file's folder)")


def run(args) -> int:
    import sys

    from trainer.commands.assess import check_ct_root
    from trainer.core.errors import TamperError
    from trainer.core.records.dicom_session import export_session
    from trainer.core.safe_write import atomic_folder, check_output

    check_ct_root(args.ct_root)
    out = check_output(args.out, folder=True, force=args.force, inputs=[args.session])
    try:
        with atomic_folder(out, force=args.force) as tmp:
            shots, _rdsr = export_session(args.session, tmp, ct_root=args.ct_root)
    except TamperError as exc:
        print(f"vptrainer export-dicom: TAMPERED: {exc}", file=sys.stderr)
        return 2
    dap = sum(s.dap_gycm2 for s in shots)
    kerma = sum(s.entrance_kerma_mgy for s in shots)
    fluoro = sum(s.fluoro_s for s in shots)
    print(f"{out}: {len(shots)} XA images and RDSR.dcm; DAP {dap:.4f} Gy.cm2, reference-point air kerma "
          f"{kerma:.3f} mGy, fluoroscopy {fluoro:.2f} s")
    return 0
