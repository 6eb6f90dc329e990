/** The shapes the server answers with (docs/api.md, "Endpoints" and "A Classification"). */

export interface TopK {
  label: string;
  p: number;
}

export interface Classification {
  id: string;
  label: string;
  confidence: number;
  /** True when the model is not sure or sees no fruit: show "not a fruit / not sure", not the label. */
  abstained: boolean;
  topk: TopK[];
  modelVersion: string;
  imagePath: string;
  imageUrl: string;
  source: string;
  org: string | null;
  feedback: { correct: boolean; label?: string } | null;
  secondOpinion: unknown;
  /** ISO 8601, UTC. */
  createdAt: string;
}

export interface History {
  items: Classification[];
  nextCursor: string | null;
}

/** GET /api/me: the limits a photo must meet before it is worth uploading. */
export interface Me {
  uid: string;
  anonymous: boolean;
  limits: { maxUploadBytes: number; acceptedTypes: string[] };
}

export type Feedback = { correct: true } | { label: string };
