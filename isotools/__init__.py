"""Build tools for the installation medium (not part of the installer): remastering a dmsquash
ISO with the installer (`azl-install-iso remaster`) and a standard-library Python installer
used by the RPM spec and the remaster (pyinstall). Imports nothing from installer/ or screens/."""
