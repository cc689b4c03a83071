#pragma once
// The QuickFIX headers the gateway uses, in one place.
//
// Debian's QuickFIX 1.15.1 declares dynamic exception specifications (throw(X)), which C++17 and later
// removed; clang accepts them with -Wno-dynamic-exception-spec (the venue::quickfix target sets it).
// Overrides must repeat them: QF_THROW(...) spells them once.

#include <quickfix/Acceptor.h>
#include <quickfix/Application.h>
#include <quickfix/DataDictionary.h>
#include <quickfix/FileStore.h>
#include <quickfix/Log.h>
#include <quickfix/Message.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Responder.h>
#include <quickfix/Session.h>
#include <quickfix/SessionID.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/Values.h>

#define QF_THROW(...) throw(__VA_ARGS__)
