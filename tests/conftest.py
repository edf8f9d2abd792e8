pytest_plugins = ["tests.fix_stack", "tests.fix_browser", "tests.fix_private_pg", "tests.fix_services"]
