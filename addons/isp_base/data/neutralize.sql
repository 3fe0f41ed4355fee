-- A copied database must not carry usable secrets.
UPDATE isp_subscription SET password_encrypted = NULL WHERE password_encrypted IS NOT NULL;
