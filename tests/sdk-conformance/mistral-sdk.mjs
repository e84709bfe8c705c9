// Drives a Mistral API (the project's emulator in tests) with the official Mistral TypeScript SDK, pinned in
// the repo's package.json: every Files and Batch Jobs call the SDK offers, and each endpoint's output lines
// parsed by the SDK's own response types. Prints one JSON report on stdout and exits 1 when a check failed.
//
//   MISTRAL_SERVER_URL=http://127.0.0.1:5080 MISTRAL_API_KEY=key node tests/sdk-conformance/mistral-sdk.mjs
import { Mistral } from "@mistralai/mistralai";
import {
  chatCompletionResponseFromJSON,
  classificationResponseFromJSON,
  conversationResponseFromJSON,
  embeddingResponseFromJSON,
  fimCompletionResponseFromJSON,
  moderationResponseFromJSON,
  ocrResponseFromJSON,
  transcriptionResponseFromJSON,
} from "@mistralai/mistralai/models/components";

const serverURL = process.env.MISTRAL_SERVER_URL;
const apiKey = process.env.MISTRAL_API_KEY;
if (!serverURL || !apiKey) {
  console.error("set MISTRAL_SERVER_URL and MISTRAL_API_KEY");
  process.exit(2);
}

const client = new Mistral({ apiKey, serverURL, retryConfig: { strategy: "none" } });
const report = { checks: [], failures: [] };

async function check(name, action) {
  try {
    await action();
    report.checks.push(name);
  } catch (error) {
    report.failures.push({ check: name, error: String(error?.stack ?? error).slice(0, 2000) });
  }
}

function assert(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

// One request per endpoint, shaped as the SDK's own request models send it (contract section 12).
const endpoints = [
  ["/v1/chat/completions", "mistral-small-latest", { messages: [{ role: "user", content: "Say hello" }], max_tokens: 16 }, chatCompletionResponseFromJSON],
  ["/v1/embeddings", "mistral-embed", { input: ["first text", "second text"] }, embeddingResponseFromJSON],
  ["/v1/fim/completions", "codestral-latest", { prompt: "def add(a, b):", suffix: "return c" }, fimCompletionResponseFromJSON],
  ["/v1/moderations", "mistral-moderation-latest", { input: ["some text"] }, moderationResponseFromJSON],
  ["/v1/chat/moderations", "mistral-moderation-latest", { input: [[{ role: "user", content: "hi" }], [{ role: "user", content: "there" }]] }, moderationResponseFromJSON],
  ["/v1/ocr", "mistral-ocr-latest", { document: { type: "document_url", document_url: "https://example.com/a.pdf" } }, ocrResponseFromJSON],
  ["/v1/classifications", "mistral-moderation-latest", { input: "classify me" }, classificationResponseFromJSON],
  ["/v1/chat/classifications", "mistral-moderation-latest", { input: { messages: [{ role: "user", content: "classify" }] } }, classificationResponseFromJSON],
  ["/v1/conversations", "mistral-medium-latest", { inputs: "Tell me a joke" }, conversationResponseFromJSON],
  ["/v1/audio/transcriptions", "voxtral-mini-latest", { file_url: "https://example.com/a.mp3" }, transcriptionResponseFromJSON],
];

async function readText(stream) {
  return await new Response(stream).text();
}

async function waitForEnd(jobId) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const job = await client.batch.jobs.get({ jobId });
    if (["SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED"].includes(job.status)) {
      return job;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${jobId} did not end`);
}

const uploaded = [];
for (const [endpoint, model, body, parse] of endpoints) {
  await check(`batch ${endpoint}`, async () => {
    const lines = `${JSON.stringify({ custom_id: "0", body })}\n${JSON.stringify({ custom_id: "1", body })}\n`;
    const file = await client.files.upload({
      file: { fileName: `sdk${endpoint.replaceAll("/", "-")}.jsonl`, content: new TextEncoder().encode(lines) },
      purpose: "batch",
    });
    uploaded.push(file.id);
    assert(file.purpose === "batch" && file.filename.endsWith(".jsonl"), `upload answered ${JSON.stringify(file)}`);
    const created = await client.batch.jobs.create({
      inputFiles: [file.id],
      endpoint,
      model,
      metadata: { suite: "sdk-conformance" },
      timeoutHours: 24,
    });
    assert(created.inputFiles[0] === file.id, "the job does not name its input file");
    const job = await waitForEnd(created.id);
    assert(job.status === "SUCCESS", `job ended ${job.status} with ${JSON.stringify(job.errors)}`);
    assert(job.totalRequests === 2 && job.succeededRequests === 2, `counts ${JSON.stringify(job)}`);
    const output = await readText(await client.files.download({ fileId: job.outputFile }));
    const answers = output.trim().split("\n").map((line) => JSON.parse(line));
    assert(answers.length === 2, `${answers.length} output lines`);
    for (const answer of answers) {
      assert(answer.response.status_code === 200, `status ${answer.response.status_code}`);
      const parsed = parse(JSON.stringify(answer.response.body));
      assert(parsed.ok, `${endpoint}: the SDK's response type refused the body: ${parsed.error}`);
    }
  });
}

await check("files.list", async () => {
  const page = await client.files.list({ page: 0, pageSize: 100, purpose: "batch", includeTotal: true });
  assert(page.data.length >= uploaded.length, `listed ${page.data.length} files`);
  const searched = await client.files.list({ search: "sdk-v1-ocr" });
  assert(searched.data.some((f) => f.filename === "sdk-v1-ocr.jsonl"), "search by name found nothing");
});

await check("files.retrieve", async () => {
  const file = await client.files.retrieve({ fileId: uploaded[0] });
  assert(file.id === uploaded[0] && file.deleted === false, JSON.stringify(file));
});

await check("files.getSignedUrl", async () => {
  const signed = await client.files.getSignedUrl({ fileId: uploaded[0], expiry: 1 });
  const response = await fetch(signed.url);
  assert(response.ok && (await response.text()).includes("custom_id"), `signed url answered ${response.status}`);
});

await check("batch.jobs.create inline", async () => {
  const created = await client.batch.jobs.create({
    endpoint: "/v1/chat/completions",
    model: "mistral-small-latest",
    requests: [{ customId: "a", body: { messages: [{ role: "user", content: "inline" }] } }],
  });
  await waitForEnd(created.id);
  const job = await client.batch.jobs.get({ jobId: created.id, inline: true });
  assert(job.outputs?.length === 1, `inline outputs ${JSON.stringify(job.outputs)}`);
  const parsed = chatCompletionResponseFromJSON(JSON.stringify(job.outputs[0].response.body));
  assert(parsed.ok, `inline output refused: ${parsed.error}`);
});

await check("batch.jobs.list", async () => {
  const all = await client.batch.jobs.list({ page: 0, pageSize: 100 });
  assert(all.total >= endpoints.length, `total ${all.total}`);
  const filtered = await client.batch.jobs.list({ status: ["SUCCESS"], metadata: { suite: "sdk-conformance" }, model: "mistral-embed", orderBy: "-created" });
  assert(filtered.data.length === 1 && filtered.data[0].endpoint === "/v1/embeddings", `filtered ${JSON.stringify(filtered.data.map((j) => j.endpoint))}`);
  const after = await client.batch.jobs.list({ createdAfter: new Date(Date.now() + 3600_000), createdByMe: true });
  assert(after.total === 0, `created after the future: ${after.total}`);
});

await check("batch.jobs.cancel", async () => {
  const created = await client.batch.jobs.create({
    endpoint: "/v1/chat/completions",
    model: "mistral-small-latest",
    requests: [{ customId: "slow", body: { messages: [{ role: "user", content: "cancel me" }] } }],
    timeoutHours: 1,
  });
  const cancelled = await client.batch.jobs.cancel({ jobId: created.id });
  assert(["CANCELLATION_REQUESTED", "CANCELLED", "SUCCESS"].includes(cancelled.status), `cancel answered ${cancelled.status}`);
  const ended = await waitForEnd(created.id);
  assert(["CANCELLED", "SUCCESS"].includes(ended.status), `ended ${ended.status}`);
});

await check("batch.jobs.delete", async () => {
  const created = await client.batch.jobs.create({
    endpoint: "/v1/embeddings",
    model: "mistral-embed",
    requests: [{ customId: "d", body: { input: "delete me" } }],
  });
  await waitForEnd(created.id);
  const deleted = await client.batch.jobs.delete({ jobId: created.id });
  assert(deleted.id === created.id && deleted.deleted === true, JSON.stringify(deleted));
});

await check("files.delete", async () => {
  const deleted = await client.files.delete({ fileId: uploaded[0] });
  assert(deleted.id === uploaded[0] && deleted.deleted === true, JSON.stringify(deleted));
});

await check("errors", async () => {
  let status = 0;
  try {
    await client.batch.jobs.get({ jobId: "00000000-0000-0000-0000-000000000000" });
  } catch (error) {
    status = error.statusCode;
  }
  assert(status === 404, `unknown job answered ${status}`);
});

console.log(JSON.stringify(report));
process.exit(report.failures.length === 0 ? 0 : 1);
