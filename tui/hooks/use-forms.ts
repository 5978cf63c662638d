import { useState } from 'react';
import type { FormField } from '../components/FormView.js';

export type FormKind = 'new-session' | 'add-workspace';

export interface FormState {
  kind: FormKind;
  title: string;
  fields: FormField[];
  active: number;
  error: string | undefined;
}

const PROVIDER_CHOICES = ['codex', 'fake'] as const;

export function newSessionForm(workspacePath: string): FormState {
  return {
    kind: 'new-session',
    title: `New session in ${workspacePath}`,
    fields: [
      { label: 'provider', value: 'codex', choices: PROVIDER_CHOICES },
      { label: 'prompt', value: '' },
    ],
    active: 1,
    error: undefined,
  };
}

export function addWorkspaceForm(cwd: string): FormState {
  return {
    kind: 'add-workspace',
    title: 'Add a workspace',
    fields: [{ label: 'path', value: cwd }],
    active: 0,
    error: undefined,
  };
}

/** A form's editing: typing into the active field, moving between fields, cycling choices. */
export function useForm() {
  const [form, setForm] = useState<FormState | undefined>(undefined);
  const edit = (change: (field: FormField) => FormField) =>
    setForm((current) =>
      current
        ? {
            ...current,
            error: undefined,
            fields: current.fields.map((field, index) => (index === current.active ? change(field) : field)),
          }
        : current,
    );
  return {
    form,
    open: (state: FormState) => setForm(state),
    close: () => setForm(undefined),
    fail: (error: string) => setForm((current) => (current ? { ...current, error } : current)),
    type: (text: string) => edit((field) => (field.choices ? field : { ...field, value: field.value + text })),
    erase: () => edit((field) => (field.choices ? field : { ...field, value: field.value.slice(0, -1) })),
    cycle: (step: 1 | -1) =>
      edit((field) => {
        if (!field.choices) return field;
        const at = field.choices.indexOf(field.value);
        return { ...field, value: field.choices[(at + step + field.choices.length) % field.choices.length]! };
      }),
    move: (step: 1 | -1) =>
      setForm((current) =>
        current
          ? { ...current, active: (current.active + step + current.fields.length) % current.fields.length }
          : current,
      ),
  };
}
