/**
 * Documents open in this process, one per job, shared by the split and the job's pages: the
 * split opens the file once and the pages read from that, instead of each page reading and
 * opening the file again. A job's document is closed when the job leaves this process.
 */
import type { StoragePort } from "../../ports/storage";
import { sniffDocumentType, type DocumentType } from "../ingest";
import { DocumentError, openDocument, type DocumentLimits, type OpenedDocument } from "../document";

/** Where a job's uploaded (or fetched) file is stored. */
export const sourceKey = (jobId: string) => `jobs/${jobId}/source`;

export class OpenDocuments {
  private readonly docs = new Map<string, Promise<OpenedDocument>>();

  constructor(
    private readonly storage: StoragePort,
    private readonly limits: DocumentLimits,
  ) {}

  open(jobId: string, bytes: Uint8Array, type: DocumentType): Promise<OpenedDocument> {
    const opened = openDocument(bytes, type, this.limits);
    this.docs.set(jobId, opened);
    opened.catch(() => this.docs.delete(jobId));
    return opened;
  }

  /** The job's document, opened from storage when this process has not opened it yet. */
  async forJob(jobId: string, type: string | null): Promise<OpenedDocument> {
    const cached = this.docs.get(jobId);
    if (cached) return cached;
    const bytes = await this.storage.get(sourceKey(jobId));
    if (!bytes) throw new DocumentError("The uploaded file is missing from storage.");
    return this.open(jobId, bytes, (type ?? sniffDocumentType(bytes)) as DocumentType);
  }

  isOpen(jobId: string): boolean {
    return this.docs.has(jobId);
  }

  close(jobId: string): void {
    const doc = this.docs.get(jobId);
    this.docs.delete(jobId);
    void doc?.then((d) => d.close()).catch(() => {});
  }

  closeAll(): void {
    for (const doc of this.docs.values()) void doc.then((d) => d.close()).catch(() => {});
    this.docs.clear();
  }
}
