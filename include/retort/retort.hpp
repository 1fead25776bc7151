// libretort's umbrella header: the whole public API.
#pragma once

#include "retort/commands.hpp"
#include "retort/config.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"
#include "retort/fleet.hpp"
#include "retort/hints.hpp"
#include "retort/import.hpp"
#include "retort/pictures.hpp"
#include "retort/production.hpp"
#include "retort/results.hpp"
#include "retort/version.hpp"
