-- 08: who can open the dashboard. Run as FLUX_SERVICE (the service owner). The service role
-- FLUX_UI_USER is declared in spcs/service.yaml (serviceRoles) and covers the `ui` endpoint only.
-- Then grant FLUX_VIEWER to people: GRANT ROLE FLUX_VIEWER TO USER <name>; (README, step 7).
USE ROLE FLUX_SERVICE;

GRANT SERVICE ROLE FLUX.APP.FLUX_OPS!FLUX_UI_USER TO ROLE FLUX_VIEWER;
