/**
 * Settings read by the Azure Functions host in a container, not by our app, so they are not in
 * the app's contract. The settings-contract test allows exactly these names besides the app's.
 */
export const HOST_SETTINGS = {
  /** Same host id on every pod, else each pod gets its own id and singletons (docs/functions-host.md). */
  hostId: 'AzureFunctionsWebHost__hostid',
} as const;

/** Most functions one Deployment may be restricted to (the status group has the most). */
export const MAX_FUNCTIONS_PER_WORKLOAD = 8;

/** `AzureFunctionsJobHost__functions__N` restricts a pod to a list of functions: one Deployment per trigger group. */
export function functionListSetting(index: number): string {
  return `AzureFunctionsJobHost__functions__${index}`;
}

export const HOST_SETTING_NAMES: readonly string[] = [
  ...Object.values(HOST_SETTINGS),
  ...Array.from({ length: MAX_FUNCTIONS_PER_WORKLOAD }, (_, index) => functionListSetting(index)),
];
