# The built-in checks. Installed as opsctl.checks (see setup.cfg package_dir).
