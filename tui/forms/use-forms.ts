import type { Key } from 'ink';
import { useState } from 'react';
import type { Client } from '../../src/client/client.js';
import type { AppAction } from '../keys/app-keys.js';
import type { TabName } from '../tabs/names.js';
import { cycled, erased, type FormState, moved, typed } from './form-state.js';
import { submitForm } from './forms.js';

/** The app's actions that act on the open form. */
export type FormAction = Extract<AppAction, `form-${string}`>;

export interface FormHost {
  client: Client | undefined;
  /** The form is gone (done or cancelled): the keyboard goes back to the tree, `select` selected there. */
  leave: (select?: string, show?: TabName) => void;
}

export interface Forms {
  /** The open form, if any. */
  form: FormState | undefined;
  open: (form: FormState) => void;
  actions: Record<FormAction, () => void>;
  /** Typed text for the active field; false for a key that is not text. */
  type: (input: string, key: Key) => boolean;
}

/** The small forms (new session, add a workspace): editing, moving between fields, submitting. */
export function useForms(host: FormHost): Forms {
  const [form, setForm] = useState<FormState | undefined>(undefined);
  const change = (next: (current: FormState) => FormState) => setForm((current) => (current ? next(current) : current));

  const submit = () => {
    if (!form) return;
    if (!host.client) return change((current) => ({ ...current, error: 'Not connected to the daemon.' }));
    void submitForm(form, host.client).then((outcome) => {
      if ('error' in outcome) return change((current) => ({ ...current, error: outcome.error }));
      setForm(undefined);
      host.leave(outcome.select, outcome.show);
    });
  };

  return {
    form,
    open: setForm,
    actions: {
      'form-submit': submit,
      'form-cancel': () => {
        setForm(undefined);
        host.leave();
      },
      'form-next': () => change((current) => moved(current, 1)),
      'form-previous': () => change((current) => moved(current, -1)),
      'form-choice-next': () => change((current) => cycled(current, 1)),
      'form-choice-previous': () => change((current) => cycled(current, -1)),
      'form-erase': () => change(erased),
    },
    type: (input, key) => {
      if (key.ctrl || key.meta || input.length === 0) return false;
      change((current) => typed(current, input));
      return true;
    },
  };
}
