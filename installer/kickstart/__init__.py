"""Kickstart in and out: read and expand the text (source), parse it with pykickstart (parse),
build an InstallPlan (build), write a plan back as a kickstart (write). Imports model and validate.common;
files hands an image configuration (found by content) to imageconfig."""
