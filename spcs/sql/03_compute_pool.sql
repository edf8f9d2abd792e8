-- 03: the compute pool. Run as FLUX_DEPLOYER.
-- CPU_X64_S nodes; the service asks for 1 CPU and 2 GB per instance (spcs/service.yaml), so three
-- nodes hold MAX_INSTANCES = 5 plus the sync job. One node stays up so the dashboard answers at once.
USE ROLE FLUX_DEPLOYER;

CREATE COMPUTE POOL IF NOT EXISTS FLUX_POOL
    MIN_NODES = 1
    MAX_NODES = 3
    INSTANCE_FAMILY = CPU_X64_S
    AUTO_RESUME = TRUE
    AUTO_SUSPEND_SECS = 3600
    COMMENT = 'Flux Operations Center';

-- Converge an existing pool on re-run.
ALTER COMPUTE POOL IF EXISTS FLUX_POOL SET MIN_NODES = 1 MAX_NODES = 3 AUTO_SUSPEND_SECS = 3600;

GRANT USAGE, MONITOR ON COMPUTE POOL FLUX_POOL TO ROLE FLUX_SERVICE;
GRANT USAGE, MONITOR ON COMPUTE POOL FLUX_POOL TO ROLE FLUX_SYNC;
