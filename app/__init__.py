"""depthlens application: QApplication, main window, wiring and command line."""
