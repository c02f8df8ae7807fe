// vfio_ccw's state machine (drivers/s390/cio/vfio_ccw_fsm.c): the jump
// table of states and events, and its actions on the subchannel.
#include <fmt/format.h>

#include "base/big_endian.h"
#include "ccw/vfio_ccw_drv.h"

namespace ccw {
namespace {

using State = VfioCcwPrivate::State;
using Event = VfioCcwPrivate::Event;

void set_ret_code(std::array<uint8_t, IO_REGION_SIZE>& r, int code) {
  base::put_be32(&r[IO_REGION_RET_CODE], static_cast<uint32_t>(code));
}
void set_cmd_ret_code(std::array<uint8_t, CMD_REGION_SIZE>& r, int code) {
  base::put_be32(&r[4], static_cast<uint32_t>(code));
}

}  // namespace

void VfioCcwDriver::fsm_event(VfioCcwPrivate& p, Event event) {
  const int state = static_cast<int>(p.state);
  auto io_error = [&] {
    css->klog().log(base::LogLevel::ERR, fmt::format("vfio-ccw: FSM: I/O request from state:{}", state));
    set_ret_code(p.io_region, -EIO);
  };
  auto async_error = [&] {
    const uint32_t cmd = base::get_be32(&p.cmd_region[0]);
    css->klog().log(base::LogLevel::ERR,
                    fmt::format("vfio-ccw: FSM: {} request from state:{}",
                                cmd == VFIO_CCW_ASYNC_CMD_HSCH   ? "halt"
                                : cmd == VFIO_CCW_ASYNC_CMD_CSCH ? "clear"
                                                                 : "<unknown>",
                                state));
    set_cmd_ret_code(p.cmd_region, -EIO);
  };
  // An interrupt while disabled: a disable that did not take; try again.
  auto disabled_irq = [&] {
    Schib s = p.sch->hw->schib();
    s.pmcw.ena = false;
    (void)p.sch->hw->msch(s);
  };
  switch (p.state) {
    case State::NotOper:
      if (event == Event::IoReq) io_error();
      else if (event == Event::AsyncReq) async_error();
      else if (event == Event::Interrupt) disabled_irq();
      return;
    case State::Standby:
      if (event == Event::NotOper || event == Event::Close) fsm_notoper(p);
      else if (event == Event::IoReq) io_error();
      else if (event == Event::AsyncReq) async_error();
      else if (event == Event::Interrupt) disabled_irq();
      else if (event == Event::Open) fsm_open(p);
      return;
    case State::Idle:
    case State::CpProcessing:
    case State::CpPending:
      switch (event) {
        case Event::NotOper:
        case Event::Open: fsm_notoper(p); return;
        case Event::Interrupt: fsm_irq(p); return;
        case Event::Close: fsm_close(p); return;
        case Event::IoReq:
          if (p.state == State::Idle) fsm_io_request(p);
          else set_ret_code(p.io_region, p.state == State::CpProcessing ? -EAGAIN : -EBUSY);
          return;
        case Event::AsyncReq:
          if (p.state == State::CpProcessing) set_cmd_ret_code(p.cmd_region, -EAGAIN);
          else fsm_async_request(p);
          return;
      }
  }
}

// The kernel also schedules the subchannel's unregistration here
// (css_sched_sch_todo(SCH_TODO_UNREG)); the simulated one stays.
void VfioCcwDriver::fsm_notoper(VfioCcwPrivate& p) {
  p.state = State::NotOper;
  if (p.cp) p.cp->free();
}

int VfioCcwDriver::fsm_io_helper(VfioCcwPrivate& p) {
  Subchannel& sch = *p.sch;
  const Orb orb = p.cp->get_orb(sch.cfg.schid.number, sch.lpm);
  switch (sch.hw->ssch(orb, p.cp->memory())) {
    case 0:
      p.state = State::CpPending;
      return 0;
    case 1:
    case 2: return -EBUSY;
    default: {
      // Device or path not operational: the paths tried are gone.
      sch.lpm = orb.lpm ? sch.lpm & static_cast<uint8_t>(~orb.lpm) : 0;
      return sch.lpm ? -EACCES : -ENODEV;
    }
  }
}

void VfioCcwDriver::fsm_io_request(VfioCcwPrivate& p) {
  p.state = State::CpProcessing;
  const Scsw scsw = decode_scsw(std::span(p.io_region).subspan<IO_REGION_SCSW, 12>());
  auto fail = [&](int code) {
    set_ret_code(p.io_region, code);
    p.state = State::Idle;
  };
  if (scsw.ctrl & SCSW_FCTL_START) {
    const Orb orb = decode_orb(std::span(p.io_region).first<12>());
    if (orb.b) return fail(-EOPNOTSUPP);  // transport mode
    if (int rc = p.cp->init(orb)) return fail(rc);
    if (int rc = p.cp->prefetch()) {
      p.cp->free();
      return fail(rc);
    }
    if (int rc = fsm_io_helper(p)) {
      p.cp->free();
      return fail(rc);
    }
    set_ret_code(p.io_region, 0);
    return;
  }
  // HALT and CLEAR go through the async region.
  if (scsw.ctrl & (SCSW_FCTL_HALT | SCSW_FCTL_CLEAR)) return fail(-EOPNOTSUPP);
  // No function: the ret_code stays as the user wrote it.
  p.state = State::Idle;
}

void VfioCcwDriver::fsm_async_request(VfioCcwPrivate& p) {
  MachineSubchannel& hw = *p.sch->hw;
  int rc;
  switch (base::get_be32(&p.cmd_region[0])) {
    case VFIO_CCW_ASYNC_CMD_HSCH: {
      const unsigned cc = hw.hsch();
      rc = cc == 0 ? 0 : cc == 3 ? -ENODEV : -EBUSY;
      break;
    }
    case VFIO_CCW_ASYNC_CMD_CSCH: rc = hw.csch() == 0 ? 0 : -ENODEV; break;
    default: rc = -EINVAL;
  }
  set_cmd_ret_code(p.cmd_region, rc);
}

void VfioCcwDriver::fsm_irq(VfioCcwPrivate& p) { io_todo(p); }

void VfioCcwDriver::fsm_open(VfioCcwPrivate& p) {
  // cio_enable_subchannel(): ISC 3, enabled, concurrent sense on.
  MachineSubchannel& hw = *p.sch->hw;
  Schib s = hw.schib();
  s.pmcw.isc = VFIO_CCW_ISC;
  s.pmcw.ena = true;
  s.pmcw.csense = true;
  s.pmcw.intparm = p.sch->cfg.schid.number;
  s.pmcw.lpm = p.sch->lpm;
  if (hw.msch(s) != 0) return fsm_event(p, Event::NotOper);
  p.state = State::Idle;
}

void VfioCcwDriver::fsm_close(VfioCcwPrivate& p) {
  MachineSubchannel& hw = *p.sch->hw;
  if (hw.schib().pmcw.ena) {
    // cio_disable_subchannel(); busy, vfio_ccw_sch_quiesce() clears the
    // subchannel and takes the status before it disables again.
    Schib s = hw.schib();
    s.pmcw.ena = false;
    if (hw.msch(s) != 0) {
      Irb irb;
      if (hw.csch() != 0 || hw.tsch(irb) != 0 || hw.msch(s) != 0) return fsm_event(p, Event::NotOper);
    }
  }
  p.state = State::Standby;
  if (p.cp) p.cp->free();
}

void VfioCcwDriver::io_todo(VfioCcwPrivate& p) {
  Irb& irb = p.irb;
  const bool final = !(irb.scsw.ctrl & (SCSW_ACTL_DEVACT | SCSW_ACTL_SCHACT));
  // scsw_is_solicited(): not an alert status alone with cc 0.
  const bool solicited =
      irb.scsw.cc() != 0 || (irb.scsw.ctrl & 0x1f) != (SCSW_STCTL_STATUS_PEND | SCSW_STCTL_ALERT);
  bool cp_finished = false;
  if (solicited && p.cp) {
    p.cp->update_scsw(irb.scsw);
    if (final && p.state == State::CpPending) {
      p.cp->free();
      cp_finished = true;
    }
  }
  // struct irb is 64 bytes in Linux: the EMW part of the area stays.
  auto bytes = encode(irb);
  std::copy_n(bytes.begin(), 64, p.io_region.begin() + IO_REGION_IRB);
  if (cp_finished) p.state = State::Idle;
  signal(p, VFIO_CCW_IO_IRQ_INDEX);
}

void VfioCcwDriver::signal(VfioCcwPrivate& p, unsigned index) {
  if (!p.triggers[index]) return;
  ++p.signals[index];
  p.mdev->signal_irq(index);
}

void VfioCcwDriver::queue_crw(VfioCcwPrivate& p, unsigned rsc, unsigned erc, unsigned rsid) {
  // struct crw: res:1 slct:1 oflw:1 chn:1 rsc:4 anc:1 res:1 erc:6 rsid:16.
  p.crws.push_back(rsc << 24 | erc << 16 | (rsid & 0xffff));
  signal(p, VFIO_CCW_CRW_IRQ_INDEX);  // vfio_ccw_crw_todo()
}

void VfioCcwDriver::irq(Subchannel& sch, const Irb& irb) {
  for (VfioCcwPrivate& p : m_privates) {
    if (p.sch != &sch) continue;
    p.irb = irb;
    fsm_event(p, Event::Interrupt);
    return;
  }
  // No mdev: an interrupt not expected; disable the subchannel again.
  Schib s = sch.hw->schib();
  s.pmcw.ena = false;
  (void)sch.hw->msch(s);
}

void VfioCcwDriver::chp_event(Subchannel& sch, uint8_t mask, unsigned chpid, ChpEvent event) {
  for (VfioCcwPrivate& p : m_privates) {
    if (p.sch != &sch || p.state == State::Standby || p.state == State::NotOper) continue;
    MachineSubchannel& hw = *sch.hw;
    // A path in use going away: cio_cancel_halt_clear() ends the I/O.
    const bool in_use = hw.schib().pmcw.lpum & mask;
    if ((event == ChpEvent::VaryOff || event == ChpEvent::Offline) && in_use && !hw.status_pending()) {
      if (hw.hsch() != 0) (void)hw.csch();
    }
    if (event == ChpEvent::Offline) queue_crw(p, CRW_RSC_CPATH, CRW_ERC_PERRN, chpid);
    if (event == ChpEvent::Online) queue_crw(p, CRW_RSC_CPATH, CRW_ERC_INIT, chpid);
    hw.deliver();
  }
}

}  // namespace ccw
