/**
 * Registered in jest.config.ts for every test file: each response an app of this process sends (and each one
 * fetch receives from a server in a child process) is held to the OpenAPI document. A test whose responses do
 * not match fails in afterEach; responses still open then are checked when the file ends.
 */
import { watchFetch } from "./contract-fetch.js";
import { startRecording, stopRecording, takeRecords, takeRemainingRecords, type RecordedResponse } from "./contract-recorder.js";

async function holdToContract(records: RecordedResponse[]): Promise<void> {
  if (records.length === 0) return;
  // Loaded on the first response only: most test files send none.
  const { contractReport, documentChecker } = await import("./contract-check.js");
  const report = contractReport(await documentChecker(), records);
  // No stack: the frames would point here, not at the response.
  if (report) throw Object.assign(new Error(report), { stack: report });
}

startRecording();
watchFetch();

afterEach(async () => {
  await holdToContract(takeRecords());
});

afterAll(async () => {
  const remaining = await takeRemainingRecords(2_000);
  stopRecording();
  await holdToContract(remaining);
});
