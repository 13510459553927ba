/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "talk-xmpp-error.h"
#include "talk-xmpp-jid.h"
#include "talk-xmpp-stanza.h"
#include "talk-xmpp-reader.h"
#include "talk-xmpp-sasl.h"
#include "talk-xmpp-stream.h"
#include "talk-xmpp-connector.h"
#include "talk-xmpp-session.h"
#include "talk-xmpp-enums.h"
#include "modules/talk-xmpp-disco.h"
