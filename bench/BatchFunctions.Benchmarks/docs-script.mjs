// The hand-written flow Mistral's batch documentation gives, with the official Mistral TypeScript SDK pinned in
// the repo's package.json: upload the JSONL file, create the job, poll it every second until it ends, download
// its output to a file. `bench --ops e2e` times it next to the runner on the same emulator and prints the ratio
// (issue #13's yardstick; the docs show it in Python, which this machine cannot install).
//
//   MISTRAL_SERVER_URL=http://127.0.0.1:5080 MISTRAL_API_KEY=key node docs-script.mjs input.jsonl output.jsonl
import { createWriteStream, openAsBlob } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { Mistral } from "@mistralai/mistralai";

const [input, output] = process.argv.slice(2);
if (!input || !output || !process.env.MISTRAL_SERVER_URL) {
  console.error("usage: MISTRAL_SERVER_URL=... MISTRAL_API_KEY=... node docs-script.mjs input.jsonl output.jsonl");
  process.exit(2);
}

const client = new Mistral({ apiKey: process.env.MISTRAL_API_KEY ?? "", serverURL: process.env.MISTRAL_SERVER_URL });
const seconds = {};
let since = performance.now();
function lap(phase) {
  const now = performance.now();
  seconds[phase] = (now - since) / 1000;
  since = now;
}

const file = await client.files.upload({
  file: { fileName: basename(input), content: await openAsBlob(input) },
  purpose: "batch",
});
lap("upload");

const created = await client.batch.jobs.create({
  inputFiles: [file.id],
  model: "mistral-small-latest",
  endpoint: "/v1/chat/completions",
  metadata: { job_type: "testing" },
});
lap("create");

let job = await client.batch.jobs.get({ jobId: created.id });
let polls = 1;
while (job.status === "QUEUED" || job.status === "RUNNING") {
  await sleep(1000);
  job = await client.batch.jobs.get({ jobId: created.id });
  polls++;
}
lap("poll");

if (job.status !== "SUCCESS" || !job.outputFile) {
  console.error(`job ended ${job.status}`);
  process.exit(1);
}

const stream = await client.files.download({ fileId: job.outputFile });
await pipeline(Readable.fromWeb(stream), createWriteStream(output));
lap("download");

console.log(JSON.stringify({ seconds, polls }));
