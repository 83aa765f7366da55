export { loadConfig, loadConfigOrExit, ConfigError, EXIT_CONFIG, sourcePoliciesOf, type Config, type ConfigProblem } from './config.ts';
export { variables, API_SCOPES, type ApiScope, type VariableName, type VariableSpec } from './variables.ts';
