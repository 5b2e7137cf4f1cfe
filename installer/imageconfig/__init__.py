"""Azure Linux Image Customizer configurations (YAML/JSON) in and out of the install plan:
recognise one by content (detect), read it with line/column marks (load), map it onto an
InstallPlan (map), write a plan back as one (write), and the loader the kickstart side calls (files).
Imports model, and kickstart for its result type and bounded file reader; PyYAML only in load/write."""
