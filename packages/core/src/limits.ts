/** Bounds applied to every untrusted image. */
export interface ImageLimits {
  /** Largest width × height accepted (declared, before decoding). */
  maxPixels: number;
  /** Most frames accepted from an animated GIF/WebP. */
  maxFrames: number;
  /** Per-image time bound for decode + resize + encode, in seconds. */
  timeoutSeconds: number;
}

export const DEFAULT_LIMITS: Readonly<ImageLimits> = {
  maxPixels: 8192 * 8192,
  maxFrames: 100,
  timeoutSeconds: 20,
};
