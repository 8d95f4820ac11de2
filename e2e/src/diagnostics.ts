/**
 * Child process output stays out of the test report while things work; when a step fails, everything the
 * emulators and apps wrote is printed (prefixed with its source) before the error is re-thrown.
 */
export async function explainFailure<T>(output: () => string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const lines = output();
    if (lines) console.error(`---- output of the stack ----\n${lines}\n---- end of the output ----`);
    throw error;
  }
}
