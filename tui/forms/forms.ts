import type { Client } from '../../src/client/client.js';
import { errorMessage } from '../../src/protocol/errors.js';
import { PROVIDERS, type ProviderName, type Workspace } from '../../src/protocol/runtime-types.js';
import type { TabName } from '../tabs/names.js';
import { type FormState, valueOf } from './form-state.js';

/** How a submit ended: refused with a sentence, or done, with the tree row to select and a tab to show. */
export type Submitted = { error: string } | { select: string; show?: TabName };

export function newSessionForm(workspace: Workspace): FormState {
  return {
    kind: 'new-session',
    title: `New session in ${workspace.path}`,
    fields: [
      { label: 'provider', value: 'codex', choices: PROVIDERS },
      { label: 'prompt', value: '' },
    ],
    active: 1,
    error: undefined,
    target: workspace.id,
  };
}

export function addWorkspaceForm(cwd: string): FormState {
  return {
    kind: 'add-workspace',
    title: 'Add a workspace',
    fields: [{ label: 'path', value: cwd }],
    active: 0,
    error: undefined,
    target: undefined,
  };
}

/** Does what the form asks of the daemon; a daemon's refusal comes back as its sentence. */
export async function submitForm(form: FormState, client: Client): Promise<Submitted> {
  try {
    return form.kind === 'new-session' ? await startSession(form, client) : await addWorkspace(form, client);
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

async function startSession(form: FormState, client: Client): Promise<Submitted> {
  const prompt = valueOf(form, 'prompt').trim();
  // A session without a first prompt would start idle, with nothing asked: refused here, saying so.
  if (prompt === '') return { error: 'Type a prompt first: it is what the session starts on.' };
  if (form.target === undefined) return { error: 'Select a workspace first.' };
  const provider = PROVIDERS.find((name): name is ProviderName => name === valueOf(form, 'provider'));
  const { session } = await client.call('session_start', { workspace: form.target, provider, prompt });
  return { select: session.id, show: 'events' };
}

async function addWorkspace(form: FormState, client: Client): Promise<Submitted> {
  const path = valueOf(form, 'path').trim();
  if (path === '') return { error: 'Type the path of a directory.' };
  const { workspace } = await client.call('workspace_add', { path });
  return { select: workspace.id };
}
