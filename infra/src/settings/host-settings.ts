/**
 * Settings read by the Azure Functions host in a container, not by our app, so they are not in
 * the app's contract. The settings-contract test allows exactly these names besides the app's.
 */
export const HOST_SETTINGS = {
  /** Same host id on every pod, else each pod gets its own id and singletons (FUNCTIONS-HOST.md §6). */
  hostId: 'AzureFunctionsWebHost__hostid',
  /** Restricts a pod to one function: one Deployment per trigger group. */
  onlyFunction: 'AzureFunctionsJobHost__functions__0',
} as const;

export const HOST_SETTING_NAMES: readonly string[] = Object.values(HOST_SETTINGS);
