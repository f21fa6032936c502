-- vm_fib.lua — Lua 5.4 twin of vm_fib.apy (the "no slower than 2x Lua" target).
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

print(fib(32))
