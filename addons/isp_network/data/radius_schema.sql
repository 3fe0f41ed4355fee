-- RADIUS tables of the ISP suite, in schema "radius" of the Odoo database.
-- Column names follow FreeRADIUS's PostgreSQL tables so its tooling keeps working; the
-- indexes follow the queries of data/freeradius/queries.conf and of isp_network.
-- Idempotent: safe to run on every module install/update and by every launcher.
SELECT pg_advisory_xact_lock(hashtext('isp_network.radius_schema'));

CREATE SCHEMA IF NOT EXISTS radius;

-- Per-user check items (Cleartext-Password, Expiration, Simultaneous-Use, Auth-Type...).
CREATE TABLE IF NOT EXISTS radius.radcheck (
    id serial PRIMARY KEY,
    username text NOT NULL DEFAULT '',
    attribute text NOT NULL DEFAULT '',
    op varchar(2) NOT NULL DEFAULT '==',
    value text NOT NULL DEFAULT '',
    subscription_id integer
);
ALTER TABLE radius.radcheck ADD COLUMN IF NOT EXISTS subscription_id integer;
CREATE INDEX IF NOT EXISTS radcheck_username_id_idx ON radius.radcheck (username, id);
CREATE INDEX IF NOT EXISTS radcheck_subscription_idx ON radius.radcheck (subscription_id);

-- Per-user reply items (Mikrotik-Rate-Limit, Framed-Pool, Framed-IP-Address...).
CREATE TABLE IF NOT EXISTS radius.radreply (
    id serial PRIMARY KEY,
    username text NOT NULL DEFAULT '',
    attribute text NOT NULL DEFAULT '',
    op varchar(2) NOT NULL DEFAULT '=',
    value text NOT NULL DEFAULT '',
    subscription_id integer
);
ALTER TABLE radius.radreply ADD COLUMN IF NOT EXISTS subscription_id integer;
CREATE INDEX IF NOT EXISTS radreply_username_id_idx ON radius.radreply (username, id);
CREATE INDEX IF NOT EXISTS radreply_subscription_idx ON radius.radreply (subscription_id);

CREATE TABLE IF NOT EXISTS radius.radgroupcheck (
    id serial PRIMARY KEY,
    groupname text NOT NULL DEFAULT '',
    attribute text NOT NULL DEFAULT '',
    op varchar(2) NOT NULL DEFAULT '==',
    value text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS radgroupcheck_groupname_id_idx ON radius.radgroupcheck (groupname, id);

CREATE TABLE IF NOT EXISTS radius.radgroupreply (
    id serial PRIMARY KEY,
    groupname text NOT NULL DEFAULT '',
    attribute text NOT NULL DEFAULT '',
    op varchar(2) NOT NULL DEFAULT '=',
    value text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS radgroupreply_groupname_id_idx ON radius.radgroupreply (groupname, id);

CREATE TABLE IF NOT EXISTS radius.radusergroup (
    id serial PRIMARY KEY,
    username text NOT NULL DEFAULT '',
    groupname text NOT NULL DEFAULT '',
    priority integer NOT NULL DEFAULT 0,
    subscription_id integer
);
ALTER TABLE radius.radusergroup ADD COLUMN IF NOT EXISTS subscription_id integer;
CREATE INDEX IF NOT EXISTS radusergroup_username_idx ON radius.radusergroup (username, priority);
CREATE INDEX IF NOT EXISTS radusergroup_subscription_idx ON radius.radusergroup (subscription_id);

-- Sessions. Octets hold the 64-bit totals (Gigawords folded in by the accounting queries).
CREATE TABLE IF NOT EXISTS radius.radacct (
    radacctid bigserial PRIMARY KEY,
    acctsessionid text NOT NULL,
    acctuniqueid text NOT NULL UNIQUE,
    username text,
    realm text,
    nasipaddress inet NOT NULL,
    nasportid text,
    nasporttype text,
    acctstarttime timestamp with time zone,
    acctupdatetime timestamp with time zone,
    acctstoptime timestamp with time zone,
    acctinterval bigint,
    acctsessiontime bigint,
    acctauthentic text,
    connectinfo_start text,
    connectinfo_stop text,
    acctinputoctets bigint,
    acctoutputoctets bigint,
    calledstationid text,
    callingstationid text,
    acctterminatecause text,
    servicetype text,
    framedprotocol text,
    framedipaddress inet,
    framedipv6address inet,
    framedipv6prefix inet,
    framedinterfaceid text,
    delegatedipv6prefix inet,
    class text
);
-- Open sessions stay a small part of a table that grows to millions of rows: every
-- "who is online" lookup (Simultaneous-Use, online status, CoA targets) uses these.
CREATE INDEX IF NOT EXISTS radacct_open_username_idx
    ON radius.radacct (username) WHERE acctstoptime IS NULL;
CREATE INDEX IF NOT EXISTS radacct_open_nas_idx
    ON radius.radacct (nasipaddress, acctstarttime) WHERE acctstoptime IS NULL;
-- Usage rollup reads the rows updated since its last run; history reads per user.
CREATE INDEX IF NOT EXISTS radacct_updatetime_idx ON radius.radacct (acctupdatetime);
CREATE INDEX IF NOT EXISTS radacct_username_start_idx ON radius.radacct (username, acctstarttime);
-- Retention moves closed sessions out by stop time.
CREATE INDEX IF NOT EXISTS radacct_stoptime_idx
    ON radius.radacct (acctstoptime) WHERE acctstoptime IS NOT NULL;

-- Closed sessions moved out of radacct after the retention period (same columns).
CREATE TABLE IF NOT EXISTS radius.radacct_archive (
    radacctid bigint PRIMARY KEY,
    acctsessionid text NOT NULL,
    acctuniqueid text NOT NULL,
    username text,
    realm text,
    nasipaddress inet NOT NULL,
    nasportid text,
    nasporttype text,
    acctstarttime timestamp with time zone,
    acctupdatetime timestamp with time zone,
    acctstoptime timestamp with time zone,
    acctinterval bigint,
    acctsessiontime bigint,
    acctauthentic text,
    connectinfo_start text,
    connectinfo_stop text,
    acctinputoctets bigint,
    acctoutputoctets bigint,
    calledstationid text,
    callingstationid text,
    acctterminatecause text,
    servicetype text,
    framedprotocol text,
    framedipaddress inet,
    framedipv6address inet,
    framedipv6prefix inet,
    framedinterfaceid text,
    delegatedipv6prefix inet,
    class text
);
CREATE INDEX IF NOT EXISTS radacct_archive_username_start_idx
    ON radius.radacct_archive (username, acctstarttime);
CREATE INDEX IF NOT EXISTS radacct_archive_stoptime_idx ON radius.radacct_archive (acctstoptime);

-- One row per authentication attempt (kept short by a retention cron).
CREATE TABLE IF NOT EXISTS radius.radpostauth (
    id bigserial PRIMARY KEY,
    username text NOT NULL,
    pass text,
    reply text,
    calledstationid text,
    callingstationid text,
    authdate timestamp with time zone NOT NULL DEFAULT now(),
    class text
);
CREATE INDEX IF NOT EXISTS radpostauth_username_date_idx ON radius.radpostauth (username, authdate);
CREATE INDEX IF NOT EXISTS radpostauth_authdate_idx ON radius.radpostauth (authdate);

-- RADIUS clients (routers), looked up by FreeRADIUS while it runs (dynamic clients); one row per address.
CREATE TABLE IF NOT EXISTS radius.nas (
    id serial PRIMARY KEY,
    nasname text NOT NULL,
    shortname text NOT NULL,
    type text NOT NULL DEFAULT 'other',
    ports integer,
    secret text NOT NULL,
    server text,
    community text,
    description text
);
CREATE UNIQUE INDEX IF NOT EXISTS nas_nasname_uniq ON radius.nas (nasname);

CREATE TABLE IF NOT EXISTS radius.nasreload (
    nasipaddress inet PRIMARY KEY,
    reloadtime timestamp with time zone NOT NULL
);
