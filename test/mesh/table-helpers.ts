import { eventually, type MeshNode } from './mesh-helpers.js';

let sentinels = 0;

/**
 * Writes a fresh record into the mesh table `sentinel` (created by the test) on
 * `from`, and waits until `to` holds it: `to` has then applied everything `from`
 * had logged before it, drops and refusals included.
 */
export async function settle(from: MeshNode, to: MeshNode): Promise<void> {
  const id = `${from.name}-${++sentinels}`;
  await from.client.call('put', { table: 'sentinel', record: { id } });
  await eventually(`${to.name} to receive sentinel ${id} from ${from.name}`, async () =>
    (await to.client.call('get', { table: 'sentinel', key: id })).record !== null ? true : undefined,
  );
}
