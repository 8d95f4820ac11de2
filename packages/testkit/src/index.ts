export { waitFor, type WaitForOptions } from './wait-for.js';
export { fixture, FIXTURES, largeJpeg, MARKER, type FixtureName, type FixtureInfo } from './fixtures.js';
export {
  parseExposition,
  sampleDelta,
  sampleValue,
  samplesOf,
  type Exposition,
  type Sample,
} from './prometheus.js';
export { corpusImage, corpusImageNames, corpusImagesDir } from './corpus.js';
