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
#include "modules/talk-xmpp-roster.h"
#include "modules/talk-xmpp-presence.h"
#include "modules/talk-xmpp-message.h"
#include "modules/talk-xmpp-carbons.h"
#include "modules/talk-xmpp-mam.h"
