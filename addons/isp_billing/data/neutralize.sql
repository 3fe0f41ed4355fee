-- blank the credentials of the Bangladeshi payment providers
UPDATE payment_provider
   SET bkash_app_key_encrypted = NULL,
       bkash_app_secret_encrypted = NULL,
       bkash_username_encrypted = NULL,
       bkash_password_encrypted = NULL;
UPDATE payment_provider
   SET sslcommerz_store_passwd_encrypted = NULL;
UPDATE payment_provider
   SET aamarpay_signature_key_encrypted = NULL;
UPDATE payment_provider
   SET shurjopay_username_encrypted = NULL,
       shurjopay_password_encrypted = NULL;
UPDATE payment_provider
   SET nagad_private_key_encrypted = NULL;
-- ---- Stripe and PayPal: Odoo blanks their keys, not PayPal's live access token
UPDATE payment_provider
   SET paypal_access_token = NULL,
       paypal_access_token_expiry = '1970-01-01';
