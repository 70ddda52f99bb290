import { AuditService } from '@auditready/nestjs';
import { Injectable, NotFoundException } from '@nestjs/common';

export interface Invoice {
  id: number;
  owner: string;
  amount: number;
}

@Injectable()
export class InvoicesService {
  private readonly invoices = new Map<number, Invoice>([[1, { id: 1, owner: 'u-alice', amount: 120 }]]);
  private nextId = 2;

  constructor(private readonly audit: AuditService) {}

  list(owner: string): Invoice[] {
    return [...this.invoices.values()].filter((i) => i.owner === owner);
  }
  get(id: number): Invoice {
    const inv = this.invoices.get(id);
    if (!inv) throw new NotFoundException(`invoice ${id} not found`);
    return inv;
  }
  create(owner: string, amount: number): Invoice {
    const inv = { id: this.nextId++, owner, amount };
    this.invoices.set(inv.id, inv);
    // A business event, recorded inside the request: the request id and actor come along.
    this.audit.record({ action: 'invoice.issued', resource: { type: 'invoice', id: String(inv.id) }, details: { amount } });
    return inv;
  }
  update(id: number, amount: number): Invoice {
    const inv = this.get(id);
    inv.amount = amount;
    return inv;
  }
  remove(id: number): void {
    this.get(id);
    this.invoices.delete(id);
  }
}
