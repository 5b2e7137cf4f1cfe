"""The running machine as a model.machine.Machine: pure classifiers (disks, nics, mounts) over
what udev and sysfs say, and the pyudev walk (udev). Imports model only."""
