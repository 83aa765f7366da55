import type { ClickHouseSettings } from '@leadscore/clickhouse';
import type { ServiceUrls } from '@leadscore/tests/support/services.ts';

/** The test services' ClickHouse as the API's settings. */
export const clickhouseOf = (s: ServiceUrls): ClickHouseSettings => ({ url: s.clickhouseUrl, user: s.clickhouseUser, password: s.clickhousePassword });
