import { Audit } from '@auditready/nestjs';
import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Post, Put, Req, UseGuards } from '@nestjs/common';
import { AuthGuard, type User } from './auth.guard';
import { type Invoice, InvoicesService } from './invoices.service';

@Controller('invoices')
@UseGuards(AuthGuard)
export class InvoicesController {
  constructor(private readonly invoices: InvoicesService) {}

  @Get()
  @Audit({ action: 'invoice.list', resource: { type: 'invoice' } })
  list(@Req() req: { user: User }): Invoice[] {
    return this.invoices.list(req.user.id);
  }

  @Get(':id')
  @Audit({ action: 'invoice.read', resource: ({ params }) => ({ type: 'invoice', id: params.id }) })
  get(@Param('id', ParseIntPipe) id: number): Invoice {
    return this.invoices.get(id);
  }

  @Post()
  @Audit({ action: 'invoice.create', resource: ({ result }) => ({ type: 'invoice', id: String((result as Invoice).id) }) })
  create(@Req() req: { user: User }, @Body() body: { amount: number }): Invoice {
    return this.invoices.create(req.user.id, Number(body.amount));
  }

  @Put(':id')
  @Audit({ action: 'invoice.update', resource: ({ params }) => ({ type: 'invoice', id: params.id }) })
  update(@Param('id', ParseIntPipe) id: number, @Body() body: { amount: number }): Invoice {
    return this.invoices.update(id, Number(body.amount));
  }

  @Delete(':id')
  @HttpCode(204)
  @Audit({ action: 'invoice.delete', resource: ({ params }) => ({ type: 'invoice', id: params.id }) })
  remove(@Param('id', ParseIntPipe) id: number): void {
    this.invoices.remove(id);
  }
}
