pytest_plugins = ["tests.fix_stack", "tests.fix_browser"]
