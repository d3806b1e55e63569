"""Records that outlive a session: the trainee store (SQLite), learning curves (CUSUM,
LC-CUSUM), xAPI statements for a Learning Record Store, and DICOM export of a session.

Qt-free; the GUI and the commands build on it.
"""
