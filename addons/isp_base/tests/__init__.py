from . import (
    test_audit_log,
    test_bulk_action,
    test_demo_generator,
    test_import,
    test_package_change,
    test_roles,
    test_secrets,
    test_subscriber,
    test_subscription_lifecycle,
)
