import { describeAllowedOrigins } from './allowed-origins.js';
import { describeDemoDefaults } from './defaults.js';
import { describeDemoToken } from './demo-token.js';
import { describeDemoEndpoints } from './endpoints.js';
import { describeDemoShutdown } from './shutdown.js';

/**
 * The behaviour every demo app promises (shared/DEMO-CONTRACT.md), run against the built app
 * started as a user starts it. One suite for every framework.
 */
export function demoContractSuite(name: string, appDir: string): void {
  describeDemoEndpoints(name, appDir);
  describeAllowedOrigins(name, appDir);
  describeDemoToken(name, appDir);
  describeDemoDefaults(name, appDir);
  describeDemoShutdown(name, appDir);
}
