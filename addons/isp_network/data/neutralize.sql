-- A copied database must neither reach the production network nor carry usable secrets:
-- no router credentials, no RADIUS client secrets (FreeRADIUS then answers no router),
-- no subscriber passwords in the RADIUS tables.
UPDATE isp_router
   SET api_password_encrypted = NULL, radius_secret_encrypted = NULL
 WHERE api_password_encrypted IS NOT NULL OR radius_secret_encrypted IS NOT NULL;
UPDATE radius.nas SET secret = '' WHERE secret <> '';
UPDATE radius.radcheck SET value = '' WHERE attribute = 'Cleartext-Password' AND value <> '';
