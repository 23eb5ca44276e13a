/**
 * The app settings of the Flex Consumption app, split the way azurerm keeps them. On read, the
 * provider (4.55.0, `unpackFunctionAppFlexConsumptionSettings` in
 * internal/services/appservice/function_app_flex_consumption_resource.go) takes a few names out of
 * `app_settings` and files them elsewhere; a name set in `app_settings` that the read moves away
 * shows as a change on every plan, and every apply becomes an update (infra/README.md, "Provider
 * pitfalls").
 */
import type { AzureAppSettings } from './azure-app-settings.js';

/** Names the provider's read takes out of `app_settings`, and where it keeps each. */
export const FLEX_SETTINGS_KEPT_ELSEWHERE = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'site_config.application_insights_connection_string',
  APPINSIGHTS_INSTRUMENTATIONKEY: 'site_config.application_insights_key',
  AzureWebJobsStorage: 'storage_access_key (the key part only)',
  WEBSITE_HEALTHCHECK_MAXPINGFAILURES: 'site_config.health_check_eviction_time_in_min',
  DEPLOYMENT_STORAGE_CONNECTION_STRING: 'nowhere (filtered out)',
} as const;

export interface FlexAppSettings {
  /** What goes into the resource's `app_settings`. */
  readonly appSettings: Readonly<Record<string, string>>;
  /** `site_config.application_insights_connection_string`; the provider writes it back as the app setting of the same name. */
  readonly applicationInsightsConnectionString?: string;
}

/** Splits the app's settings between `app_settings` and the `site_config` argument the provider keeps them in. */
export function flexAppSettings(settings: AzureAppSettings): FlexAppSettings {
  const { APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString, ...rest } = settings;
  const appSettings: Record<string, string> = {};
  for (const [name, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    if (name in FLEX_SETTINGS_KEPT_ELSEWHERE) {
      throw new Error(`app setting ${name} would be moved by the provider on read: set it where the provider keeps it`);
    }
    appSettings[name] = value;
  }
  return { appSettings, applicationInsightsConnectionString };
}
