/**
 * One invocation, driven the way the Node.js worker drives it: the library's programming model
 * builds the `InvocationContext` and the handler's arguments from the request, hooks run around
 * the handler, and the library turns the result into the response (return value, extra outputs).
 */
import { randomUUID } from 'node:crypto';
import { HostError } from './host-error.js';
import {
  coreState,
  runHooks,
  type CoreInvocationContext,
  type InvocationState,
  type RegisteredFunction,
  type RpcInvocationRequest,
  type RpcInvocationResponse,
  type RpcTypedData,
} from './functions-core-injection.js';

export type HostLog = (level: string, message: string) => void;

export interface InvocationRequest {
  /** Trigger and input values by binding name. */
  readonly inputData: ReadonlyArray<{ name: string; data: RpcTypedData | null }>;
  readonly triggerMetadata: Record<string, RpcTypedData>;
  readonly retryContext?: RpcInvocationRequest['retryContext'];
  readonly traceContext?: RpcInvocationRequest['traceContext'];
}

export interface InvocationOutcome {
  readonly invocationId: string;
  readonly response: RpcInvocationResponse;
}

export async function invokeRegisteredFunction(
  fn: RegisteredFunction,
  request: InvocationRequest,
  log: HostLog,
): Promise<InvocationOutcome> {
  const model = coreState().programmingModel;
  if (model === undefined) throw new HostError('UNSUPPORTED_FUNCTIONS_LIBRARY', 'No programming model was registered by @azure/functions.');
  const invocationId = randomUUID();
  const name = fn.metadata.name;
  const coreContext: CoreInvocationContext = {
    invocationId,
    request: { invocationId, functionId: name, ...request, inputData: [...request.inputData] },
    metadata: fn.metadata,
    state: undefined as InvocationState,
    log: (level, category, message) =>
      log(level, `[${name} ${invocationId.slice(0, 8)}${category === 'system' ? ' system' : ''}] ${message}`),
  };
  const invocationModel = await model.getInvocationModel(coreContext);
  const { context, inputs: initialInputs } = await invocationModel.getArguments();

  const hookData: Record<string, unknown> = {};
  const appHookData = coreState().appHookData;
  const preContext: Record<string, unknown> = {
    hookData,
    appHookData,
    invocationContext: context,
    functionCallback: fn.callback,
    inputs: initialInputs,
  };
  coreContext.state = 'preInvocationHooks';
  try {
    await runHooks('preInvocation', preContext);
  } finally {
    coreContext.state = undefined;
  }
  const inputs = preContext.inputs as unknown[];
  const callback = preContext.functionCallback as RegisteredFunction['callback'];

  const postContext: Record<string, unknown> = { hookData, appHookData, invocationContext: context, inputs, result: null, error: null };
  coreContext.state = 'invocation';
  try {
    postContext.result = await invocationModel.invokeFunction(context, inputs, callback);
  } catch (error) {
    postContext.error = error;
  } finally {
    coreContext.state = undefined;
  }
  coreContext.state = 'postInvocationHooks';
  try {
    await runHooks('postInvocation', postContext);
  } finally {
    coreContext.state = undefined;
  }
  if (postContext.error !== null && postContext.error !== undefined) throw postContext.error;
  return { invocationId, response: await invocationModel.getResponse(context, postContext.result) };
}
