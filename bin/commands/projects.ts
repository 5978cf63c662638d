import { resolve } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import { toJson } from '../../src/json-values.js';
import { type Command, line, withClient } from '../context.js';
import { allNodes, atNode, NODE_OPTIONS, nodeCell, reportNodes } from '../node-option.js';
import { required } from '../parse-input.js';

export const projectCommand: Command = {
  name: 'project',
  maxArgs: { ls: 1, list: 1, add: 2, set: 2, rm: 2, remove: 2 },
  usage:
    'project ls [--all-nodes] | project add NAME [--remote URL] [--check CMD]... | project set NAME --check CMD... | project rm NAME  [--node NAME]',
  summary:
    'Projects: a name, an optional git remote, and check commands (`set` replaces the checks of an existing one).',
  options: { remote: { type: 'string' }, check: { type: 'string', multiple: true }, ...NODE_OPTIONS },
  async run(context, args, options) {
    const verb = required(args, 0, 'ls, add, set or rm');
    await withClient(context, async (daemon) => {
      const client = atNode(daemon, options);
      if (verb === 'ls' || verb === 'list') {
        const all = allNodes(options);
        const { projects, nodes } = await client.call('project_list', all ? { nodes: 'all' } : {});
        reportNodes(context.stderr, nodes);
        for (const project of projects) {
          const fields = [project.name, project.remote ?? '-', project.checks.join('; ') || '-'];
          line(
            context.stdout,
            context.global.json ? toJson(project) : [...(all ? [nodeCell(project)] : []), ...fields].join('\t'),
          );
        }
      } else if (verb === 'add') {
        const { project } = await client.call('project_add', {
          name: required(args, 1, 'the project name'),
          remote: options['remote'] as string | undefined,
          checks: options['check'] as string[] | undefined,
        });
        line(context.stdout, context.global.json ? toJson(project) : `project ${project.name}`);
      } else if (verb === 'set') {
        const name = required(args, 1, 'the project name');
        const checks = options['check'] as string[] | undefined;
        if (checks === undefined) throw new CortexError('EINVAL', 'project set needs at least one --check CMD.');
        const { projects } = await client.call('project_list', {});
        if (!projects.some((project) => project.name === name)) {
          throw new CortexError('ENOTFOUND', `There is no project named ${name}; cortex project ls lists them.`);
        }
        const { project } = await client.call('project_add', { name, checks });
        line(
          context.stdout,
          context.global.json ? toJson(project) : `project ${project.name}: ${project.checks.join('; ')}`,
        );
      } else if (verb === 'rm' || verb === 'remove') {
        await client.call('project_remove', { name: required(args, 1, 'the project name') });
      } else {
        throw new CortexError('EINVAL', `project takes ls, add, set or rm, not ${JSON.stringify(verb)}.`);
      }
    });
  },
};

export const workspaceCommand: Command = {
  name: 'workspace',
  maxArgs: { ls: 1, list: 1, add: 2, rm: 2, remove: 2 },
  usage: 'workspace ls [--all-nodes] | workspace add PATH [--project NAME] | workspace rm ID [--node NAME]',
  summary: 'Workspaces: directories of a node (this one unless --node) bound to a project.',
  options: { project: { type: 'string' }, ...NODE_OPTIONS },
  async run(context, args, options) {
    const verb = required(args, 0, 'ls, add or rm');
    await withClient(context, async (daemon) => {
      const client = atNode(daemon, options);
      if (verb === 'ls' || verb === 'list') {
        const all = allNodes(options);
        const { workspaces, nodes } = await client.call('workspace_list', all ? { nodes: 'all' } : {});
        reportNodes(context.stderr, nodes);
        for (const workspace of workspaces) {
          const fields = [workspace.id, workspace.project, workspace.path];
          line(
            context.stdout,
            context.global.json ? toJson(workspace) : [...(all ? [nodeCell(workspace)] : []), ...fields].join('\t'),
          );
        }
      } else if (verb === 'add') {
        const { workspace } = await client.call('workspace_add', {
          path: resolve(required(args, 1, 'the directory')),
          project: options['project'] as string | undefined,
        });
        line(context.stdout, context.global.json ? toJson(workspace) : workspace.id);
      } else if (verb === 'rm' || verb === 'remove') {
        await client.call('workspace_remove', { workspace: required(args, 1, 'the workspace id or path') });
      } else {
        throw new CortexError('EINVAL', `workspace takes ls, add or rm, not ${JSON.stringify(verb)}.`);
      }
    });
  },
};
