"""The study folder's series list given folder names Qt cannot show as they are (realct-log pass 171, hostile34).

A name with an undecodable byte (``a\\xffz`` on a Linux disk, a lone surrogate in Python) lost the byte in the list
(Qt drops it), so the chosen text was not among the items (a ValueError in the slot, nothing read) and two such
names showed alike.  The oracle: the folder each row was written for.
"""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtWidgets import QComboBox, QWidget

from trainer.core.anatomy.dicom_io import write_ct_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.ui.series_chooser import open_series_chooser, series_below


def _write(d, n):
    hu = np.full((n, 8, 8), 40, np.int16)
    vol = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid((n, 8, 8), (0.8, 0.8, 1.0), (0, 0, 0)))
    write_ct_series(vol, d, uid_seed=repr(str(d)))


def test_each_row_reads_its_own_folder_whatever_its_name(qtbot, tmp_path):
    names = [os.fsdecode(b"a\xfez"), os.fsdecode(b"a\xffz"), "b\nc"]
    for n, name in enumerate(names):
        _write(tmp_path / name, n + 2)
    found = series_below(tmp_path)
    parent = QWidget()
    qtbot.addWidget(parent)
    chosen = []
    box = open_series_chooser(parent, tmp_path, found, lambda s: chosen.append(s.path))
    assert box.comboBoxItems() == [r"a\udcfez (CT 'vptrainer synthetic patient', 2 files, 1 mm slices)",
                                   r"a\udcffz (CT 'vptrainer synthetic patient', 3 files, 1 mm slices)",
                                   r"b\nc (CT 'vptrainer synthetic patient', 4 files, 1 mm slices)"]
    assert box.textValue() == box.comboBoxItems()[2]          # the CT with the most files, selected
    combo = box.findChild(QComboBox)
    for i in range(3):
        combo.setCurrentIndex(i)
        box.textValueSelected.emit(box.textValue())
    assert chosen == [tmp_path / name for name in names]
    box.close()


def test_the_list_says_when_the_search_stopped_at_its_folder_limit(qtbot, tmp_path):
    # 2100 folders, a series in the first and one beyond the 2000 searched: the list showed the first as all there was
    _write(tmp_path / "F0000", 2)
    for i in range(1, 2100):
        (tmp_path / f"F{i:04d}").mkdir()
    parent = QWidget()
    qtbot.addWidget(parent)
    box = open_series_chooser(parent, tmp_path, series_below(tmp_path), lambda _p: None)
    assert box.comboBoxItems() == ["F0000 (CT 'vptrainer synthetic patient', 2 files, 1 mm slices)"]
    assert ("holds no slices itself: its subfolders hold 1 series (the search stopped after 2000 folders: more may lie "
            "beyond them; give a folder nearer the series).") in box.labelText()
    box.close()
