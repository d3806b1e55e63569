"""The typed core service the GUI's child process runs (Qt-free)."""
